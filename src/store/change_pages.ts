/**
 * One page of a step's change set, paged and searched in SQL: the execution page of a step of
 * 200,000 models transfers 200 names, not the whole change set. A new file beside
 * step_models.ts, whose modelChanges returns the whole set for the commands.
 */
import type { ChangeCounts, ListedChange } from "../domain.ts";
import { inDialect, type Queryable, type Store } from "./database.ts";
import { codePointOrder } from "./sql_text.ts";

/** A listed change as the statement returns it. */
interface ChangePageRow {
  change: "A" | "M" | "D" | "R";
  name: string;
  renamed_to: string | null;
}

/** Which changes: a step against a previous one (null: every model added), a search, a page. */
export interface ChangePageQuery {
  stepId: string;
  previousStepId: string | null;
  /** Text a listed name must contain ("" for all); a rename's text is `from → to`. */
  search: string;
  limit: number;
  offset: number;
}

// The step's changed models against the previous step, as modelChanges finds them (see there
// why PostgreSQL takes a full join and SQLite a left join plus an anti-join); unchanged models are
// left out here: their count is the step's model count less the added and modified.
const CHANGED = {
  postgres: `SELECT coalesce(cur.model_name, prev.model_name) AS model_name,
       CASE WHEN prev.model_name IS NULL THEN 'A' WHEN cur.model_name IS NULL THEN 'D'
            ELSE 'M' END AS change,
       coalesce(cur.checksum, prev.checksum) AS checksum
     FROM (SELECT model_name, checksum FROM dpo.execution_step_model
           WHERE execution_step_id = $1) AS cur
     FULL JOIN (SELECT model_name, checksum FROM dpo.execution_step_model
                WHERE execution_step_id = CAST($2 AS uuid)) AS prev
       ON prev.model_name = cur.model_name
     WHERE prev.model_name IS NULL OR cur.model_name IS NULL OR cur.checksum <> prev.checksum`,
  sqlite: `SELECT cur.model_name,
       CASE WHEN prev.model_name IS NULL THEN 'A' ELSE 'M' END AS change, cur.checksum
     FROM dpo.execution_step_model AS cur LEFT JOIN dpo.execution_step_model AS prev
       ON prev.execution_step_id = $2 AND prev.model_name = cur.model_name
     WHERE cur.execution_step_id = $1
       AND (prev.model_name IS NULL OR cur.checksum <> prev.checksum)
     UNION ALL
     SELECT prev.model_name, 'D', prev.checksum FROM dpo.execution_step_model AS prev
     WHERE prev.execution_step_id = $2 AND NOT EXISTS (
       SELECT 1 FROM dpo.execution_step_model AS cur
       WHERE cur.execution_step_id = $1 AND cur.model_name = prev.model_name)`,
};

const CONTAINS = {
  postgres: "strpos(listed_text, CAST($3 AS text)) > 0",
  sqlite: "instr(listed_text, $3) > 0",
};

// One statement: the changes, the renames paired among them, the listed entries (a pair as one),
// those matching the search, the counts, and the page; the counts come on every row, and on one
// row with no change when the page is past the end.
function changeSetPageStatement(db: Queryable): string {
  const order = `CASE change WHEN 'A' THEN 1 WHEN 'M' THEN 2 WHEN 'D' THEN 3 ELSE 4 END, ${
    codePointOrder(db.dialect, "name")
  }`;
  // SQLite flattens a CTE into each of its uses unless told (here four joins of the two steps
  // instead of one); PostgreSQL computes a CTE used more than once once, and before 12 knew no
  // MATERIALIZED.
  const once = db.dialect === "sqlite" ? "MATERIALIZED" : "";
  return `WITH changed AS ${once} (${inDialect(db, CHANGED)}),
     renames AS ${once} (
       SELECT min(CASE WHEN change = 'D' THEN model_name END) AS from_name,
         min(CASE WHEN change = 'A' THEN model_name END) AS to_name
       FROM changed WHERE change IN ('A', 'D') GROUP BY checksum
       HAVING sum(CASE WHEN change = 'D' THEN 1 ELSE 0 END) = 1
         AND sum(CASE WHEN change = 'A' THEN 1 ELSE 0 END) = 1),
     entries AS (
       SELECT change, model_name AS name, CAST(NULL AS text) AS renamed_to,
         model_name AS listed_text
       FROM changed
       WHERE NOT (change = 'D' AND model_name IN (SELECT from_name FROM renames))
         AND NOT (change = 'A' AND model_name IN (SELECT to_name FROM renames))
       UNION ALL
       SELECT 'R', from_name, to_name, from_name || ' → ' || to_name FROM renames),
     matching AS ${once} (
       SELECT change, name, renamed_to FROM entries
       WHERE CAST($3 AS text) = '' OR ${inDialect(db, CONTAINS)}),
     counts AS (
       SELECT CAST(sum(CASE WHEN change = 'A' THEN 1 ELSE 0 END) AS text) AS added,
         CAST(sum(CASE WHEN change = 'M' THEN 1 ELSE 0 END) AS text) AS modified,
         CAST(sum(CASE WHEN change = 'D' THEN 1 ELSE 0 END) AS text) AS deleted,
         (SELECT CAST(count(*) AS text) FROM renames) AS renamed,
         (SELECT CAST(count(*) AS text) FROM matching) AS matching
       FROM changed),
     page AS (SELECT change, name, renamed_to FROM matching ORDER BY ${order} LIMIT $4 OFFSET $5)
     SELECT counts.*, page.change, page.name, page.renamed_to
     FROM counts LEFT JOIN page ON 1 = 1
     ORDER BY ${order}`;
}

type CountsText = { [K in keyof ChangeCounts]: string | null };

/**
 * The counts and one page of a step's change set: added, modified, deleted, then renamed, each
 * by code point (renames by their old name), as `dpo diff` lists them; renames paired as
 * pairRenames pairs them.
 */
export async function changeSetPage(
  db: Queryable,
  query: ChangePageQuery,
): Promise<{ counts: ChangeCounts; changes: ListedChange[] }> {
  const rows = await db.query<ChangePageRow & CountsText>(
    changeSetPageStatement(db),
    [query.stepId, query.previousStepId, query.search, query.limit, query.offset],
  );
  const count = (key: keyof ChangeCounts) => Number(rows[0]?.[key] ?? 0);
  return {
    counts: {
      added: count("added"),
      modified: count("modified"),
      deleted: count("deleted"),
      renamed: count("renamed"),
      matching: count("matching"),
    },
    changes: rows.filter((row) => row.change !== null).map((row) => ({
      change: row.change,
      name: row.name,
      renamedTo: row.renamed_to,
    })),
  };
}

/**
 * Settings for the statements that join two steps of 200,000 models, on PostgreSQL, measured with
 * EXPLAIN ANALYZE (PostgreSQL 15, Debian's build): their estimated cost is far above
 * jit_above_cost, and compiling them took ~1 s of a 2.5 s statement that runs once, so JIT is off;
 * the sorts of 200,000 names spilled to disk at the default work_mem of 4 MB, so it is raised to
 * 32 MB (never lowered), which took a further ~30 % off. Both are SET LOCAL in a read-only
 * transaction of its own, so a PgBouncer in transaction mode hands back a clean connection.
 * SQLite has neither: there the work runs as it is, outside any transaction.
 */
export async function withJoinSettings<T>(
  store: Store,
  work: (db: Queryable) => Promise<T>,
): Promise<T> {
  if (store.dialect !== "postgres") return await work(store);
  return await store.transaction(async (tx) => {
    await tx.query("SET TRANSACTION READ ONLY");
    await tx.query("SET LOCAL jit = off");
    await tx.query(
      `SELECT set_config('work_mem', greatest(CAST(setting AS bigint), 32768) || 'kB', true)
       FROM pg_settings WHERE name = 'work_mem'`,
    );
    return await work(tx);
  });
}
