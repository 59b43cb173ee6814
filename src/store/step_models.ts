/** Every statement on dpo.execution_step_model. */
import {
  asTimestamp,
  type ChangeKind,
  type ModelChange,
  type ModelVersion,
  type Status,
} from "../domain.ts";
import { type Dialect, inDialect, type Queryable } from "./database.ts";
import { codePointOrder, isoText } from "./sql_text.ts";

/** A step's fingerprinted model files: names, and their SHA-256 checksums in the same order. */
export interface StepModels {
  names: readonly string[];
  checksums: {
    /** Every checksum as lower-case hex in name order, joined by "/". */
    joinHex(): string;
    /** The same text as ASCII bytes, each digest followed by "/" (65 bytes a checksum). */
    readonly bytes: Uint8Array;
  };
}

/**
 * Saves all of a step's checksums in one statement and one round trip. A row's id is the step
 * id's first 80 bits followed by the row's number: ids that count up within a step go into the
 * primary key's index side by side, where random ones (such as md5 of step and name, as before)
 * each land on another page; 20,000 rows insert in ~200 ms instead of ~280 ms on PostgreSQL
 * (measured). The step id is a UUID v7 (service/steps.ts), so the prefix is its millisecond and
 * 26 random bits: two steps' prefixes could meet only if both started in the same millisecond
 * and drew the same 26 bits (1 in 67 million); PostgreSQL's insert would then fail, never
 * overwrite (SQLite does not key the rows by it).
 * Steps recorded by earlier versions have random (v4) ids, and so 74 random bits.
 */
export async function insertStepModels(
  tx: Queryable,
  stepId: string,
  models: StepModels,
): Promise<void> {
  if (models.names.length === 0) return;
  const statement = {
    // Names and checksums travel as two '/'-joined text parameters, zipped back by unnest: a
    // model name is a file name, which cannot hold '/'. This parses several times faster than
    // one JSON document and knows no parameter-count limit.
    postgres: `INSERT INTO dpo.execution_step_model
       (execution_step_model_id, execution_step_id, model_name, checksum)
     SELECT (left(replace($1::text, '-', ''), 20) || lpad(to_hex(m.n), 12, '0'))::uuid,
       $1::uuid, m.name, m.checksum
     FROM unnest(string_to_array($2::text, '/'), string_to_array($3::text, '/'))
       WITH ORDINALITY AS m(name, checksum, n)`,
    // SQLite has no arrays: names come as one JSON array, checksums as the joined hex in bytes,
    // a blob whose substr() is a byte offset (on text it would count characters from the start
    // on every row: quadratic). The time is taken once, not once per row.
    sqlite: `INSERT INTO dpo.execution_step_model
       (execution_step_model_id, execution_step_id, model_name, checksum, created_on, updated_on)
     SELECT substr($1, 1, 23) || '-' || printf('%012x', m.key + 1), $1, m.value,
       CAST(substr($3, m.key * 65 + 1, 64) AS text), t.now, t.now
     FROM json_each($2) AS m, (SELECT now() AS now) AS t`,
  };
  await tx.query(
    inDialect(tx, statement),
    // The checksums come joined from their bytes: no string per checksum on the way.
    tx.dialect === "sqlite"
      ? [stepId, JSON.stringify(models.names), models.checksums.bytes]
      : [stepId, models.names.join("/"), models.checksums.joinHex()],
  );
}

/**
 * The step's models that are new or changed against a previous step (every model when there
 * is none), sorted by code point as the Python tool sorted them (collation "C").
 */
export async function changedModelNames(
  db: Queryable,
  stepId: string,
  previousStepId: string | null,
): Promise<string[]> {
  const { changes } = await modelChanges(db, stepId, previousStepId, { deletions: false });
  return changes.map((model) => model.name);
}

/**
 * The full change set between a step and a previous one (null: every model is added), sorted by
 * code point, and how many models are unchanged: one pass, in which the unchanged models fold
 * into one counted row. With `checksums`, added and deleted models carry their checksum (to pair
 * renames); without, none travels, as a first run of 200,000 models would send 13 MB of them.
 *
 * PostgreSQL: a full join, not an anti-join (NOT EXISTS): right after a large step is stored,
 * the statistics know neither step id and the planner expects one row of each, and an anti-join
 * may then become a nested loop that reads the previous step once per model (200,000 × 200,000
 * rows ran into the statement timeout). A full join can only be a hash or merge join; both sides
 * are read by the (execution_step_id, model_name) index.
 *
 * SQLite: its full join materialises one side and scans it once per row of the other
 * (200,000 × 200,000 again), so the same change set is a left join for added, modified and
 * unchanged models plus an anti-join for deleted ones, each a lookup in the table's own
 * (execution_step_id, model_name) key.
 */
export async function modelChanges(
  db: Queryable,
  stepId: string,
  previousStepId: string | null,
  options: { deletions?: boolean; checksums?: boolean } = {},
): Promise<{ changes: ModelChange[]; unchanged: number }> {
  // Without deletions SQLite skips its anti-join, half the work (PostgreSQL's one pass finds
  // them anyway, and they are filtered out below).
  const deletions = options.deletions ?? true;
  const joined = joinedSteps(deletions);
  const checksum = options.checksums
    ? "CASE WHEN change IN ('A', 'D') THEN checksum END AS checksum,"
    : "";
  const rows = await db.query<
    { model_name: string | null; change: ChangeKind | "="; checksum?: string | null; n: string }
  >(
    `SELECT * FROM (
       SELECT CASE WHEN change = '=' THEN NULL ELSE model_name END AS model_name, change,
         ${checksum} CAST(count(*) AS text) AS n
       FROM (${inDialect(db, joined)}) AS joined
       GROUP BY ${options.checksums ? "1, 2, 3" : "1, 2"}) AS result
     ORDER BY ${codePointOrder(db.dialect, "model_name")}`,
    [stepId, previousStepId],
  );
  const unchangedRow = rows.find((row) => row.change === "=");
  return {
    changes: rows
      .filter((row) => row.change !== "=" && (deletions || row.change !== "D"))
      .map((row) => ({
        name: row.model_name!,
        change: row.change as ChangeKind,
        ...(row.checksum == null ? {} : { checksum: row.checksum }),
      })),
    unchanged: Number(unchangedRow?.n ?? 0),
  };
}

/**
 * Every model of the step and the previous one, paired by name, with how it changed ('=' when
 * it did not); `deletions` false spares SQLite the anti-join that finds deleted ones.
 */
function joinedSteps(deletions: boolean): Record<Dialect, string> {
  return {
    postgres: `SELECT coalesce(cur.model_name, prev.model_name) AS model_name,
           CASE WHEN prev.model_name IS NULL THEN 'A' WHEN cur.model_name IS NULL THEN 'D'
                WHEN cur.checksum <> prev.checksum THEN 'M' ELSE '=' END AS change,
           coalesce(cur.checksum, prev.checksum) AS checksum
         FROM (SELECT model_name, checksum FROM dpo.execution_step_model
               WHERE execution_step_id = $1) AS cur
         FULL JOIN (SELECT model_name, checksum FROM dpo.execution_step_model
                    WHERE execution_step_id = $2::uuid) AS prev
           ON prev.model_name = cur.model_name`,
    sqlite: `SELECT cur.model_name,
           CASE WHEN prev.model_name IS NULL THEN 'A'
                WHEN cur.checksum <> prev.checksum THEN 'M' ELSE '=' END AS change,
           cur.checksum
         FROM dpo.execution_step_model AS cur LEFT JOIN dpo.execution_step_model AS prev
           ON prev.execution_step_id = $2 AND prev.model_name = cur.model_name
         WHERE cur.execution_step_id = $1
         ${
      deletions
        ? `UNION ALL
         SELECT prev.model_name, 'D', prev.checksum FROM dpo.execution_step_model AS prev
         WHERE prev.execution_step_id = $2 AND NOT EXISTS (
           SELECT 1 FROM dpo.execution_step_model AS cur
           WHERE cur.execution_step_id = $1 AND cur.model_name = prev.model_name)`
        : ""
    }`,
  };
}

/**
 * Deletes at most `limit` model rows of an execution's steps, for prune's bounded batches;
 * returns how many went. The rows are named by the (execution_step_id, model_name) key, the one
 * index both stores have on this table.
 */
export async function deleteModelsOfExecution(
  tx: Queryable,
  executionId: string,
  limit: number,
): Promise<number> {
  const doomed = `DELETE FROM dpo.execution_step_model
     WHERE (execution_step_id, model_name) IN (
       SELECT m.execution_step_id, m.model_name
       FROM dpo.execution_step s JOIN dpo.execution_step_model m
         ON m.execution_step_id = s.execution_step_id
       WHERE s.execution_id = $1 LIMIT $2)`;
  if (tx.dialect === "sqlite") {
    // SQLite has no DELETE inside WITH: the rows come back and are counted here.
    return (await tx.query(`${doomed} RETURNING 1`, [executionId, limit])).length;
  }
  const [{ n }] = await tx.query<{ n: string }>(
    `WITH gone AS (${doomed} RETURNING 1) SELECT CAST(count(*) AS text) AS n FROM gone`,
    [executionId, limit],
  );
  return Number(n);
}

interface ModelVersionRow {
  execution_id: string;
  execution_status: string;
  started_on: string;
  completed_on: string | null;
  step_id: string;
  step_name: string;
  checksum: string | null;
}

/**
 * A model's checksum in every step of a pipeline's executions (or only steps named `stepName`),
 * oldest first: one (step id, model name) key lookup per step, for `dpo log` and `--explain`.
 */
export async function modelVersions(
  db: Queryable,
  filter: { pipeline: string; modelName: string; stepName: string | null },
): Promise<ModelVersion[]> {
  const rows = await db.query<ModelVersionRow>(
    `SELECT CAST(e.execution_id AS text) AS execution_id, e.status AS execution_status,
       ${isoText(db.dialect, "e.started_on")} AS started_on,
       ${isoText(db.dialect, "e.completed_on")} AS completed_on,
       CAST(s.execution_step_id AS text) AS step_id, s.step_name, m.checksum
     FROM dpo.execution e
     JOIN dpo.execution_step s ON s.execution_id = e.execution_id
     LEFT JOIN dpo.execution_step_model m
       ON m.execution_step_id = s.execution_step_id AND m.model_name = $2
     WHERE e.pipeline = $1 AND (CAST($3 AS text) IS NULL OR upper(s.step_name) = CAST($3 AS text))
     ORDER BY e.started_on, e.created_on, s.created_on, s.execution_step_id`,
    [filter.pipeline, filter.modelName, filter.stepName?.toUpperCase() ?? null],
  );
  return rows.map((row) => ({
    executionId: row.execution_id,
    executionStatus: row.execution_status as Status,
    startedOn: asTimestamp(row.started_on),
    completedOn: row.completed_on === null ? null : asTimestamp(row.completed_on),
    stepId: row.step_id,
    stepName: row.step_name,
    checksum: row.checksum,
  }));
}

/** The checksums of the named models in one step (absent names are left out). */
export async function checksumsOfModels(
  db: Queryable,
  stepId: string,
  names: readonly string[],
): Promise<Map<string, string>> {
  if (names.length === 0) return new Map();
  const inNames = inDialect(db, {
    postgres: "SELECT jsonb_array_elements_text(CAST($2 AS jsonb))",
    sqlite: "SELECT value FROM json_each($2)",
  });
  const rows = await db.query<{ model_name: string; checksum: string }>(
    `SELECT model_name, checksum FROM dpo.execution_step_model
     WHERE execution_step_id = $1 AND model_name IN (${inNames})`,
    [stepId, JSON.stringify(names)],
  );
  return new Map(rows.map((row) => [row.model_name, row.checksum]));
}
