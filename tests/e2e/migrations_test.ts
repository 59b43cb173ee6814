/**
 * `db upgrade | downgrade | current | history` on an empty PostgreSQL database and on PGlite: up
 * and down one revision at a time, unknown revisions, concurrent upgrades, a failing migration.
 */
import { deepStrictEqual as assertEquals, match as assertMatch } from "node:assert/strict";
import { PGlite } from "@electric-sql/pglite";
import { dpoOk, runDpo } from "../helpers/cli.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/postgres_server.ts";
import { temporaryFolder } from "../helpers/model_tree.ts";
import { describeDpoSchema, expectedDpoSchema } from "../fixtures/python_dpo.ts";

const FIRST = "0001_python_schema";
const HEAD = "0002_query_indexes";

async function appliedVersions(db: TestDatabase): Promise<string[]> {
  const rows = await db.sql`SELECT version FROM dpo.schema_migrations ORDER BY version`;
  return rows.map((row) => row.version);
}

async function dpoSchemaExists(db: TestDatabase): Promise<boolean> {
  const [{ exists }] = await db
    .sql`SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = 'dpo') AS exists`;
  return exists;
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
    stdout: `${FIRST}  pending\n${HEAD}  pending\n`,
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
  assertEquals(await describeDpoSchema(db.sql), await expectedDpoSchema({ queryIndexes: false }));

  const head = await runDpo([db.url, "db", "upgrade", "head"]);
  assertEquals([head.code, head.stdout], [0, ""]);
  assertEquals(logLines(head.stderr), [`INFO - Applied migration ${HEAD}`]);
  assertEquals(await appliedVersions(db), [FIRST, HEAD]);
  assertEquals(await dpoOk([db.url, "db", "current"]), `${HEAD} (head)`);
  assertEquals(await describeDpoSchema(db.sql), await expectedDpoSchema());
  const history = await dpoOk([db.url, "db", "history"]);
  assertMatch(history, new RegExp(`^${FIRST}  applied \\S+\\+00:00\\n${HEAD}  applied \\S+$`));

  const back = await runDpo([db.url, "db", "downgrade", "-1"]);
  assertEquals([back.code, back.stdout], [0, ""]);
  assertEquals(logLines(back.stderr), [`INFO - Reverted migration ${HEAD}`]);
  assertEquals(await appliedVersions(db), [FIRST]);
  assertEquals(await dpoOk([db.url, "db", "current"]), FIRST);
  assertEquals(await describeDpoSchema(db.sql), await expectedDpoSchema({ queryIndexes: false }));

  const base = await runDpo([db.url, "db", "downgrade", "base"]);
  assertEquals([base.code, base.stdout], [0, ""]);
  assertEquals(logLines(base.stderr), [`INFO - Reverted migration ${FIRST}`]);
  assertEquals(await dpoSchemaExists(db), false);
  assertEquals(await dpoOk([db.url, "db", "current"]), "base");

  assertEquals(await dpoOk([db.url, "db", "upgrade"]), "");
  assertEquals(await appliedVersions(db), [FIRST, HEAD]);
  assertEquals(await describeDpoSchema(db.sql), await expectedDpoSchema());
});

Deno.test("db upgrade and downgrade step through every revision on PGlite", async () => {
  await using store = await temporaryFolder();
  const pglite = ["--db", `pglite:${store.path}`];
  assertEquals(await dpoOk([...pglite, "db", "current"]), "base");

  assertEquals(await dpoOk([...pglite, "db", "upgrade", "0001"]), "");
  assertEquals(await dpoOk([...pglite, "db", "current"]), FIRST);
  assertEquals(await dpoOk([...pglite, "db", "upgrade", "head"]), "");

  const back = await runDpo([...pglite, "db", "downgrade", "-1"]);
  assertEquals([back.code, back.stdout], [0, ""]);
  assertEquals(logLines(back.stderr), [`INFO - Reverted migration ${HEAD}`]);
  assertEquals(await dpoOk([...pglite, "db", "current"]), FIRST);

  assertEquals(await dpoOk([...pglite, "db", "downgrade", "base"]), "");
  // dpo has exited and released the store, so the test may open it to look for the schema.
  const embedded = await PGlite.create(`${store.path}/pgdata`);
  try {
    const { rows } = await embedded.query<{ count: number }>(
      "SELECT count(*)::int AS count FROM pg_namespace WHERE nspname = 'dpo'",
    );
    assertEquals(rows, [{ count: 0 }]);
  } finally {
    await embedded.close();
  }

  assertEquals(await dpoOk([...pglite, "db", "upgrade"]), "");
  assertEquals(await dpoOk([...pglite, "db", "current"]), `${HEAD} (head)`);
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
  assertEquals(await appliedVersions(db), [FIRST, HEAD]);
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
    `INFO - Applied migration ${HEAD}`,
  ]);
  const rows = await db.sql`SELECT version, count(*)::int AS count FROM dpo.schema_migrations
    GROUP BY version ORDER BY version`;
  assertEquals(rows.map((r) => [r.version, r.count]), [[FIRST, 1], [HEAD, 1]]);
  assertEquals(await describeDpoSchema(db.sql), await expectedDpoSchema());
});

Deno.test("a failing migration leaves nothing of itself behind", async () => {
  await using db = await createTestDatabase();
  await dpoOk([db.url, "db", "upgrade", "0001"]);
  // 0002 creates execution_status_updated_idx first, then fails on this name.
  await db.sql`CREATE INDEX execution_step_execution_idx ON dpo.execution (status)`;

  const failed = await runDpo([db.url, "db", "upgrade"]);
  assertEquals([failed.code, failed.stdout], [1, ""]);
  assertEquals(failed.stderr.split("\n").length, 2);
  assertMatch(failed.stderr, /^error: .*"execution_step_execution_idx" already exists/);
  assertEquals(await appliedVersions(db), [FIRST]);
  const indexes = await db.sql`SELECT indexname FROM pg_indexes
    WHERE schemaname = 'dpo' AND indexname LIKE '%_idx' ORDER BY indexname`;
  assertEquals(indexes.map((r) => r.indexname), ["execution_step_execution_idx"]);
  assertEquals(await dpoOk([db.url, "db", "current"]), FIRST);

  await db.sql`DROP INDEX dpo.execution_step_execution_idx`;
  assertEquals(await dpoOk([db.url, "db", "upgrade"]), "");
  assertEquals(await describeDpoSchema(db.sql), await expectedDpoSchema());
});
