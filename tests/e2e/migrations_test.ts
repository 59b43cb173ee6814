/**
 * `db upgrade | downgrade | current | history` on an empty PostgreSQL database and on SQLite: up
 * and down one revision at a time, unknown revisions, concurrent upgrades, a failing migration.
 */
import { deepStrictEqual as assertEquals, match as assertMatch } from "node:assert/strict";
import { dpoOk, runDpo } from "../helpers/cli.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/postgres_server.ts";
import { temporaryFolder } from "../helpers/model_tree.ts";
import { querySqliteStore } from "../helpers/pipeline.ts";
import {
  COLUMNS_ADDED_BY_0003,
  describeDpoSchema,
  expectedDpoSchema,
  pythonLastRevisionSchema,
} from "../fixtures/python_dpo.ts";

const FIRST = "0001_python_schema";
const SECOND = "0002_query_indexes";
const HEAD = "0003_pipelines_and_failures";

async function appliedVersions(db: TestDatabase): Promise<string[]> {
  const rows = await db.sql`SELECT version FROM dpo.schema_migrations ORDER BY version`;
  return rows.map((row) => row.version);
}

async function dpoSchemaExists(db: TestDatabase): Promise<boolean> {
  const [{ exists }] = await db
    .sql`SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = 'dpo') AS exists`;
  return exists;
}

/** `table.column` of each column the head migration adds. */
const ADDED_COLUMN_NAMES = COLUMNS_ADDED_BY_0003.map((c) => `${c.table_name}.${c.column_name}`);

/**
 * At head, dpo's tables differ from the Python tool's c5c34dd0b8f2 dump only by the three columns
 * 0003 adds and by dpo's indexes: every column of the dump is there unchanged, in its place.
 */
async function assertHeadDiffersFromDumpOnlyByAddedColumns(db: TestDatabase): Promise<void> {
  const head = await describeDpoSchema(db.sql);
  const dump = await pythonLastRevisionSchema();
  const isAdded = (c: Record<string, unknown>) =>
    ADDED_COLUMN_NAMES.includes(`${c.table_name}.${c.column_name}`);
  assertEquals(head.columns.filter((c) => !isAdded(c)), dump.columns);
  assertEquals(head.columns.filter(isAdded).map((c) => `${c.table_name}.${c.column_name}`), [
    "execution.pipeline",
    "execution.failure_reason",
    "execution_step.failure_reason",
  ]);
  assertEquals(head.constraints, dump.constraints);
  assertEquals(head, await expectedDpoSchema());
}

/** The log lines of a run without their timestamps. */
function logLines(stderr: string): string[] {
  return stderr.split("\n").filter((line) => line !== "").map((line) =>
    line.replace(/^\S+ - dpo - /, "")
  );
}

Deno.test("db current prints base and db history all pending on an empty database", async () => {
  await using db = await createTestDatabase();
  assertEquals(await runDpo([db.url, "db", "current"]), { code: 0, stdout: "base\n", stderr: "" });
  assertEquals(await runDpo([db.url, "db", "history"]), {
    code: 0,
    stdout: `${FIRST}  pending\n${SECOND}  pending\n${HEAD}  pending\n`,
    stderr: "",
  });
  assertEquals(await dpoSchemaExists(db), false);
});

Deno.test("db upgrade and downgrade step through every revision on PostgreSQL", async () => {
  await using db = await createTestDatabase();

  const first = await runDpo([db.url, "db", "upgrade", "0001"]);
  assertEquals([first.code, first.stdout], [0, ""]);
  assertEquals(logLines(first.stderr), [`INFO - Applied migration ${FIRST}`]);
  assertEquals(await appliedVersions(db), [FIRST]);
  assertEquals(await dpoOk([db.url, "db", "current"]), FIRST);
  // dpo's own schema is the Python tool's last revision, column for column.
  assertEquals(await describeDpoSchema(db.sql), await expectedDpoSchema("0001"));

  const second = await runDpo([db.url, "db", "upgrade", "0002"]);
  assertEquals([second.code, second.stdout], [0, ""]);
  assertEquals(logLines(second.stderr), [`INFO - Applied migration ${SECOND}`]);
  assertEquals(await appliedVersions(db), [FIRST, SECOND]);
  assertEquals(await dpoOk([db.url, "db", "current"]), SECOND);
  // Still the dump's tables exactly; only indexes are added.
  assertEquals(await describeDpoSchema(db.sql), await expectedDpoSchema("0002"));

  const head = await runDpo([db.url, "db", "upgrade", "head"]);
  assertEquals([head.code, head.stdout], [0, ""]);
  assertEquals(logLines(head.stderr), [`INFO - Applied migration ${HEAD}`]);
  assertEquals(await appliedVersions(db), [FIRST, SECOND, HEAD]);
  assertEquals(await dpoOk([db.url, "db", "current"]), `${HEAD} (head)`);
  await assertHeadDiffersFromDumpOnlyByAddedColumns(db);
  const history = await dpoOk([db.url, "db", "history"]);
  assertMatch(
    history,
    new RegExp(
      `^${FIRST}  applied \\S+\\+00:00\\n${SECOND}  applied \\S+\\+00:00\\n${HEAD}  applied \\S+$`,
    ),
  );

  // Reverting 0003 removes its three columns again: the dump's tables exactly, as at 0002.
  const toSecond = await runDpo([db.url, "db", "downgrade", "0002"]);
  assertEquals([toSecond.code, toSecond.stdout], [0, ""]);
  assertEquals(logLines(toSecond.stderr), [`INFO - Reverted migration ${HEAD}`]);
  assertEquals(await appliedVersions(db), [FIRST, SECOND]);
  assertEquals(await dpoOk([db.url, "db", "current"]), SECOND);
  assertEquals(await describeDpoSchema(db.sql), await expectedDpoSchema("0002"));

  const back = await runDpo([db.url, "db", "downgrade", "-1"]);
  assertEquals([back.code, back.stdout], [0, ""]);
  assertEquals(logLines(back.stderr), [`INFO - Reverted migration ${SECOND}`]);
  assertEquals(await appliedVersions(db), [FIRST]);
  assertEquals(await dpoOk([db.url, "db", "current"]), FIRST);
  assertEquals(await describeDpoSchema(db.sql), await expectedDpoSchema("0001"));

  const base = await runDpo([db.url, "db", "downgrade", "base"]);
  assertEquals([base.code, base.stdout], [0, ""]);
  assertEquals(logLines(base.stderr), [`INFO - Reverted migration ${FIRST}`]);
  assertEquals(await dpoSchemaExists(db), false);
  assertEquals(await dpoOk([db.url, "db", "current"]), "base");

  assertEquals(await dpoOk([db.url, "db", "upgrade"]), "");
  assertEquals(await appliedVersions(db), [FIRST, SECOND, HEAD]);
  await assertHeadDiffersFromDumpOnlyByAddedColumns(db);
});

Deno.test("db downgrade 0002 from head reverts only 0003 and keeps the rows on PostgreSQL", async () => {
  await using db = await createTestDatabase();
  await dpoOk([db.url, "db", "upgrade"]);
  const executionId = await dpoOk([db.url, "--pipeline", "nightly", "init-execution"]);
  await dpoOk([db.url, "fail-execution", executionId, "--reason", "disk full"]);
  const [failed] = await db.sql`SELECT pipeline, status, failure_reason FROM dpo.execution`;
  assertEquals({ ...failed }, {
    pipeline: "nightly",
    status: "FAILED",
    failure_reason: "disk full",
  });

  const reverted = await runDpo([db.url, "--format", "json", "db", "downgrade", "0002"]);
  assertEquals(reverted.code, 0);
  assertEquals(JSON.parse(reverted.stdout), { reverted: [HEAD] });
  assertEquals(await describeDpoSchema(db.sql), await expectedDpoSchema("0002"));
  const rows = await db.sql`SELECT execution_id::text, status FROM dpo.execution`;
  assertEquals(rows.map((r) => ({ ...r })), [{ execution_id: executionId, status: "FAILED" }]);
});

const ADDED_COLUMNS_QUERY = `SELECT t.name || '.' || c.name AS name
  FROM dpo.sqlite_master t, pragma_table_info(t.name) c
  WHERE t.type = 'table' AND c.name IN ('pipeline', 'failure_reason')
  ORDER BY t.name, c.cid`;

Deno.test("db upgrade and downgrade step through every revision on SQLite", async () => {
  await using store = await temporaryFolder();
  const file = `${store.path}/dpo.sqlite`;
  const sqlite = ["--db", `sqlite:${file}`];
  assertEquals(await dpoOk([...sqlite, "db", "current"]), "base");

  assertEquals(await dpoOk([...sqlite, "db", "upgrade", "0001"]), "");
  assertEquals(await dpoOk([...sqlite, "db", "current"]), FIRST);
  assertEquals(await dpoOk([...sqlite, "db", "upgrade", "head"]), "");
  assertEquals(querySqliteStore(file, ADDED_COLUMNS_QUERY), [
    { name: "execution.pipeline" },
    { name: "execution.failure_reason" },
    { name: "execution_step.failure_reason" },
  ]);

  const toSecond = await runDpo([...sqlite, "db", "downgrade", "0002"]);
  assertEquals([toSecond.code, toSecond.stdout], [0, ""]);
  assertEquals(logLines(toSecond.stderr), [`INFO - Reverted migration ${HEAD}`]);
  assertEquals(querySqliteStore(file, ADDED_COLUMNS_QUERY), []);

  const back = await runDpo([...sqlite, "db", "downgrade", "-1"]);
  assertEquals([back.code, back.stdout], [0, ""]);
  assertEquals(logLines(back.stderr), [`INFO - Reverted migration ${SECOND}`]);
  assertEquals(await dpoOk([...sqlite, "db", "current"]), FIRST);

  assertEquals(await dpoOk([...sqlite, "db", "downgrade", "base"]), "");
  assertEquals(
    querySqliteStore(file, "SELECT count(*) AS count FROM dpo.sqlite_master"),
    [{ count: 0 }],
  );

  assertEquals(await dpoOk([...sqlite, "db", "upgrade"]), "");
  assertEquals(await dpoOk([...sqlite, "db", "current"]), `${HEAD} (head)`);
});

Deno.test("the SQLite store has PostgreSQL's revisions, tables and columns, in the same order", async () => {
  await using db = await createTestDatabase();
  await using store = await temporaryFolder();
  const file = `${store.path}/dpo.sqlite`;
  await dpoOk([db.url, "db", "upgrade"]);
  await dpoOk(["--db", `sqlite:${file}`, "db", "upgrade"]);
  const revisions = (url: string[]) => dpoOk([...url, "--format", "json", "db", "history"]);
  const names = (json: string) => JSON.parse(json).map((r: { revision: string }) => r.revision);
  assertEquals(
    names(await revisions(["--db", `sqlite:${file}`])),
    names(await revisions([db.url])),
  );
  const onPostgres = await db.sql`SELECT table_name || '.' || column_name AS name
    FROM information_schema.columns WHERE table_schema = 'dpo'
    ORDER BY table_name COLLATE "C", ordinal_position`;
  const onSqlite = querySqliteStore(
    file,
    `SELECT t.name || '.' || c.name AS name
     FROM dpo.sqlite_master t, pragma_table_info(t.name) c
     WHERE t.type = 'table' ORDER BY t.name, c.cid`,
  );
  assertEquals(onSqlite, onPostgres.map((row) => ({ ...row })));
});

Deno.test("db upgrade and downgrade to an unknown revision exit 2 with one line", async () => {
  await using db = await createTestDatabase();
  const unknown = (command: string) =>
    `error: Revision "9999" is not known to db ${command}: ` +
    'see "dpo db history" for the revisions\n';

  assertEquals(await runDpo([db.url, "db", "upgrade", "9999"]), {
    code: 2,
    stdout: "",
    stderr: unknown("upgrade"),
  });
  assertEquals(await runDpo([db.url, "db", "downgrade", "9999"]), {
    code: 2,
    stdout: "",
    stderr: unknown("downgrade"),
  });
  assertEquals(await dpoSchemaExists(db), false);

  await dpoOk([db.url, "db", "upgrade"]);
  assertEquals(await runDpo([db.url, "db", "downgrade", "9999"]), {
    code: 2,
    stdout: "",
    stderr: unknown("downgrade"),
  });
  assertEquals(await appliedVersions(db), [FIRST, SECOND, HEAD]);
});

Deno.test("db upgrade run by 8 processes at once applies each migration exactly once", async () => {
  await using db = await createTestDatabase();
  const results = await Promise.all(
    Array.from({ length: 8 }, () => runDpo([db.url, "db", "upgrade"])),
  );
  assertEquals(results.map((r) => [r.code, r.stdout]), Array(8).fill([0, ""]));
  const applied = results.flatMap((r) => logLines(r.stderr))
    .filter((line) => line.startsWith("INFO - Applied migration"));
  assertEquals(applied.sort(), [
    `INFO - Applied migration ${FIRST}`,
    `INFO - Applied migration ${SECOND}`,
    `INFO - Applied migration ${HEAD}`,
  ]);
  const rows = await db.sql`SELECT version, count(*)::int AS count FROM dpo.schema_migrations
    GROUP BY version ORDER BY version`;
  assertEquals(rows.map((r) => [r.version, r.count]), [[FIRST, 1], [SECOND, 1], [HEAD, 1]]);
  assertEquals(await describeDpoSchema(db.sql), await expectedDpoSchema());
});

Deno.test("a failing migration leaves nothing of itself or of the run it was part of", async () => {
  await using db = await createTestDatabase();
  await dpoOk([db.url, "db", "upgrade", "0001"]);
  const dpoIndexes = async () =>
    (await db.sql`SELECT indexname FROM pg_indexes
      WHERE schemaname = 'dpo' AND indexname LIKE '%_idx' ORDER BY indexname`)
      .map((r) => r.indexname);

  // 0002 creates execution_status_updated_idx first, then fails on this name.
  await db.sql`CREATE INDEX execution_step_execution_idx ON dpo.execution (status)`;
  const failed = await runDpo([db.url, "db", "upgrade"]);
  assertEquals([failed.code, failed.stdout], [1, ""]);
  assertEquals(failed.stderr.split("\n").length, 2);
  assertMatch(failed.stderr, /^error: .*"execution_step_execution_idx" already exists/);
  assertEquals(await appliedVersions(db), [FIRST]);
  assertEquals(await dpoIndexes(), ["execution_step_execution_idx"]);
  assertEquals(await dpoOk([db.url, "db", "current"]), FIRST);
  await db.sql`DROP INDEX dpo.execution_step_execution_idx`;

  // 0002 now applies; 0003 adds its three columns and execution_pipeline_status_updated_idx,
  // then fails on this name. The whole run is one transaction, so 0002 goes too.
  await db.sql`CREATE INDEX execution_pipeline_started_idx ON dpo.execution_step (status)`;
  const failedAtHead = await runDpo([db.url, "db", "upgrade"]);
  assertEquals([failedAtHead.code, failedAtHead.stdout], [1, ""]);
  assertEquals(failedAtHead.stderr.split("\n").length, 2);
  assertMatch(failedAtHead.stderr, /^error: .*"execution_pipeline_started_idx" already exists/);
  assertEquals(await appliedVersions(db), [FIRST]);
  assertEquals(await dpoIndexes(), ["execution_pipeline_started_idx"]);
  assertEquals(
    (await describeDpoSchema(db.sql)).columns,
    (await expectedDpoSchema("0001")).columns,
  );
  await db.sql`DROP INDEX dpo.execution_pipeline_started_idx`;

  assertEquals(await dpoOk([db.url, "db", "upgrade"]), "");
  assertEquals(await appliedVersions(db), [FIRST, SECOND, HEAD]);
  assertEquals(await describeDpoSchema(db.sql), await expectedDpoSchema());
});
