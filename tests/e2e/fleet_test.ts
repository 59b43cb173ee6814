/**
 * dpo at fleet scale: migrations started by many agents at once, the migration lock's bounded
 * wait, application_name as a DBA sees it, and whole pipelines through the PgBouncer in
 * transaction mode that scripts/test.sh starts (DPO_TEST_PGBOUNCER_PORT).
 */
import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import postgres from "postgres";
import { VERSION } from "../../src/version.ts";
import { type CliResult, runDpo } from "../helpers/cli.ts";
import { temporaryFolder } from "../helpers/model_tree.ts";
import { assertCleanFailure } from "../helpers/pipeline.ts";
import {
  createTestDatabase,
  serverSettings,
  type TestDatabase,
} from "../helpers/postgres_server.ts";
import {
  createPythonSchema,
  describeDpoSchema,
  insertCurrentRows,
  insertOldRows,
  LAST_PYTHON_REVISION,
  PYTHON_REVISIONS,
  type PythonRevision,
  readDpoRows,
} from "../fixtures/python_dpo.ts";
import {
  checkFleet,
  postgresFleetStore,
  runFleet,
  semaphore,
  writeFleetModels,
} from "../../scripts/lib/fleet.ts";
import { runTwoExecutionPipeline } from "../../scripts/lib/two_run_pipeline.ts";

const MIGRATIONS = ["0001_python_schema", "0002_query_indexes", "0003_pipelines_and_failures"];
/** The key src/store/migration_lock.ts locks; a test holding it stands for another migrating process. */
const MIGRATION_LOCK_KEY = 4_740_019_311;
const UPGRADERS = 16;
const AGENTS = 64;
/** dpo processes alive at once: 64 `deno run`s at a time only thrash 2 cores. */
const PROCESSES = 16;

function bouncerPort(): number {
  const port = Deno.env.get("DPO_TEST_PGBOUNCER_PORT");
  if (!port) {
    throw new Error("DPO_TEST_PGBOUNCER_PORT is not set: run the tests through ./scripts/test.sh");
  }
  return Number(port);
}

/** A URL for `database` through the test PgBouncer, as the superuser. */
function bouncerUrl(database: string): string {
  const server = serverSettings();
  return `postgresql://${encodeURIComponent(server.user)}:${
    encodeURIComponent(server.password)
  }@${server.host}:${bouncerPort()}/${database}`;
}

const PATHS = [
  { path: "PostgreSQL", url: (db: TestDatabase) => db.url },
  { path: "PgBouncer", url: (db: TestDatabase) => bouncerUrl(db.name) },
] as const;

/** dpo's log lines without their timestamps. */
function logLines(results: readonly CliResult[]): string[] {
  return results.flatMap((r) => r.stderr.split("\n")).filter((line) => line !== "")
    .map((line) => line.replace(/^\S+ - dpo - /, ""));
}

function count(lines: readonly string[], line: string): number {
  return lines.filter((l) => l === line).length;
}

async function upgradeAtOnce(url: string): Promise<CliResult[]> {
  const results = await Promise.all(
    Array.from({ length: UPGRADERS }, () => runDpo([url, "db", "upgrade"])),
  );
  assertEquals(
    results.map((r) => [r.code, r.stdout]),
    Array(UPGRADERS).fill([0, ""]),
    logLines(results).join("\n"),
  );
  return results;
}

async function migrationRows(db: TestDatabase) {
  return [
    ...await db.sql`SELECT version, note, count(*) OVER (PARTITION BY version)::int AS rows
    FROM dpo.schema_migrations ORDER BY version`,
  ];
}

/**
 * A superuser session named `applicationName` holding the migration lock (session-scoped) until
 * it is disposed; `pid` is its backend.
 */
async function holdMigrationLock(database: string, applicationName: string) {
  const sql = postgres({ ...serverSettings(), database, max: 1, onnotice: () => {} });
  await sql`SELECT set_config('application_name', ${applicationName}, false)`;
  const [{ pid }] =
    await sql`SELECT pg_backend_pid() AS pid, pg_advisory_lock(${MIGRATION_LOCK_KEY})`;
  return {
    pid: pid as number,
    async [Symbol.asyncDispose]() {
      await sql`SELECT pg_advisory_unlock(${MIGRATION_LOCK_KEY})`;
      await sql.end();
    },
  };
}

/** The application_name of the first session of `database` waiting for a lock. */
async function waitingApplicationName(db: TestDatabase, deadlineMs = 15_000): Promise<string> {
  const deadline = Date.now() + deadlineMs;
  while (Date.now() < deadline) {
    const rows = await db.sql`SELECT application_name FROM pg_stat_activity
      WHERE datname = current_database() AND wait_event_type = 'Lock'
        AND query LIKE '%pg_advisory_xact_lock%'`;
    if (rows.length > 0) return rows[0].application_name;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error("no dpo process started waiting for the migration lock");
}

Deno.test(`db upgrade run by ${UPGRADERS} processes at once on an empty database applies each migration exactly once`, async () => {
  await using db = await createTestDatabase();
  await using reference = await createTestDatabase();
  const lines = logLines(await upgradeAtOnce(db.url));
  for (const name of MIGRATIONS) assertEquals(count(lines, `INFO - Applied migration ${name}`), 1);
  assertEquals(
    count(lines, "INFO - The database is already at the requested revision"),
    UPGRADERS - 1,
  );
  assertEquals(
    (await migrationRows(db)).map((r) => [r.version, r.note, r.rows]),
    MIGRATIONS.map((name) => [name, null, 1]),
  );
  // The same schema as one process makes alone.
  await runDpo([reference.url, "db", "upgrade"]);
  assertEquals(await describeDpoSchema(db.sql), await describeDpoSchema(reference.sql));
});

/** A Python DPO database at `revision` with two executions' rows, as that tool wrote them. */
async function createPythonDatabase(revision: PythonRevision): Promise<TestDatabase> {
  const db = await createTestDatabase();
  await createPythonSchema(db.sql, revision);
  const times = ["2024-03-01T08:00:00.123456+00:00", "2024-03-02T08:00:00.654321+00:00"];
  if (revision === LAST_PYTHON_REVISION) {
    await insertCurrentRows(
      db.sql,
      times.map((time, i) => ({
        id: `00000000-0000-4000-8000-00000000000${i}`,
        status: "COMPLETED",
        createdOn: time,
        updatedOn: time,
        startedOn: time,
        completedOn: time,
        executionTimeMs: 1000 + i,
        steps: [{
          stepName: "LOAD",
          status: "COMPLETED",
          createdOn: time,
          updatedOn: time,
          startedOn: time,
          completedOn: time,
          executionTimeMs: 500,
          rowsProcessed: 42,
          models: ["a", "b"].map((name) => ({
            name,
            checksum: `${name}${i}`.padEnd(64, "0"),
            createdOn: time,
            updatedOn: time,
          })),
        }],
      })),
    );
  } else {
    await insertOldRows(
      db.sql,
      revision,
      times.map((time, i) => ({
        id: `00000000-0000-4000-8000-00000000000${i}`,
        status: "COMPLETED",
        createdOn: time,
        lastUpdatedOn: time,
        executionTimeMs: 1000 + i,
        models: ["a", "b"].map((name) => ({
          type: "load",
          name,
          checksum: `${name}${i}`.padEnd(64, "0"),
          createdOn: time,
          lastUpdatedOn: time,
        })),
      })),
    );
  }
  return db;
}

for (const revision of [PYTHON_REVISIONS[0], LAST_PYTHON_REVISION] as const) {
  Deno.test(`db upgrade run by ${UPGRADERS} processes at once adopts a Python DPO database at ${revision} exactly once`, async () => {
    await using db = await createPythonDatabase(revision);
    await using reference = await createPythonDatabase(revision);
    const lines = logLines(await upgradeAtOnce(db.url));
    assertEquals(
      count(lines, `INFO - Adopted the Python DPO's database at alembic revision ${revision}`),
      1,
    );
    for (const name of MIGRATIONS.slice(1)) {
      assertEquals(count(lines, `INFO - Applied migration ${name}`), 1);
    }
    assertEquals(
      count(lines, "INFO - The database is already at the requested revision"),
      UPGRADERS - 1,
    );
    const rows = await migrationRows(db);
    assertEquals(rows.map((r) => [r.version, r.rows]), MIGRATIONS.map((name) => [name, 1]));

    // Exactly what one process alone makes of the same database: schema, rows, version rows.
    const single = await runDpo([reference.url, "db", "upgrade"]);
    assertEquals(single.code, 0, single.stderr);
    assertEquals(await describeDpoSchema(db.sql), await describeDpoSchema(reference.sql));
    assertEquals(await readDpoRows(db.sql), await readDpoRows(reference.sql));
    assertEquals(rows.map((r) => r.note), (await migrationRows(reference)).map((r) => r.note));
    assertEquals(
      [...await db.sql`SELECT version_num FROM public.alembic_version_dpo`],
      [...await reference.sql`SELECT version_num FROM public.alembic_version_dpo`],
    );
  });
}

for (const { path, url } of PATHS) {
  Deno.test(`db upgrade through ${path} waits for the migration lock, and past --statement-timeout exits 1 naming its holder`, async () => {
    await using db = await createTestDatabase();
    await using holder = await holdMigrationLock(db.name, "fleet-test lock holder");
    const started = Date.now();
    const result = await runDpo([url(db), "db", "upgrade", "--statement-timeout", "1"]);
    const heldBy = `"fleet-test lock holder" (pid ${holder.pid}, user "postgres")`;
    assertEquals(
      { code: result.code, stdout: result.stdout, log: logLines([result]) },
      {
        code: 1,
        stdout: "",
        log: [
          "INFO - Waiting for another dpo process that is migrating this database; the lock is " +
          `held by ${heldBy}`,
          `error: Cannot take the migration lock within 1s: it is held by ${heldBy}; let that ` +
          "process finish, or raise --statement-timeout",
        ],
      },
    );
    assert(Date.now() - started < 10_000, "the wait was not bounded by --statement-timeout");
    // Nothing of the run is left: it was one transaction.
    const [{ exists }] = await db.sql`SELECT to_regnamespace('dpo') IS NOT NULL AS exists`;
    assertEquals(exists, false);
  });

  Deno.test(`through ${path} every connection carries application_name dpo/<version>, plus DPO_AGENT when set`, async () => {
    await using db = await createTestDatabase();
    for (const agent of ["", "agent-7 (ci-runner-42)"]) {
      const holder = await holdMigrationLock(db.name, "fleet-test lock holder");
      // A db upgrade that waits for the lock stays in pg_stat_activity until it is released.
      const upgrade = runDpo([url(db), "db", "upgrade"], { env: { DPO_AGENT: agent } });
      let seen: string;
      try {
        seen = await waitingApplicationName(db);
      } finally {
        await holder[Symbol.asyncDispose]();
      }
      assertEquals(seen, agent ? `dpo/${VERSION} ${agent}` : `dpo/${VERSION}`);
      const result = await upgrade;
      assertEquals([result.code, result.stdout], [0, ""], result.stderr);
      assert(result.stderr.includes('the lock is held by "fleet-test lock holder"'), result.stderr);
    }
  });
}

Deno.test("the two-execution pipeline runs unchanged through PgBouncer in transaction mode, and leaves no session state behind", async () => {
  await using db = await createTestDatabase();
  await using models = await temporaryFolder();
  const url = bouncerUrl(db.name);
  const upgrade = await runDpo([url, "db", "upgrade"]);
  assertEquals([upgrade.code, upgrade.stdout], [0, ""], upgrade.stderr);
  await runTwoExecutionPipeline({
    run: (args) => runDpo([url, ...args, "--statement-timeout", "7"]),
    hostModels: models.path,
    dpoModels: models.path,
  });

  // Every server connection of the pool, held at once: none kept dpo's per-transaction limits.
  const poolSize = Number(Deno.env.get("DPO_TEST_PGBOUNCER_POOL_SIZE") ?? "4");
  const clients = Array.from(
    { length: poolSize },
    () => postgres(url, { max: 1, prepare: false, onnotice: () => {} }),
  );
  try {
    let arrived = 0;
    const allArrived = Promise.withResolvers<void>();
    const settings = await Promise.all(clients.map((client) =>
      client.begin(async (tx) => {
        const [row] = await tx`SELECT pg_backend_pid() AS pid,
          current_setting('statement_timeout') AS statement_timeout,
          current_setting('lock_timeout') AS lock_timeout`;
        if (++arrived === poolSize) allArrived.resolve();
        await allArrived.promise;
        return row;
      })
    ));
    assertEquals(new Set(settings.map((s) => s.pid)).size, poolSize);
    assertEquals(
      settings.map((s) => [s.statement_timeout, s.lock_timeout]),
      Array(poolSize).fill(["0", "0"]),
    );
  } finally {
    await Promise.all(clients.map((client) => client.end()));
  }
});

Deno.test("through PgBouncer a URL parameter it refuses fails at once, saying to remove it", async () => {
  await using db = await createTestDatabase();
  const url = `${bouncerUrl(db.name)}?options=-c%20statement_timeout%3D5000`;
  const started = Date.now();
  assertCleanFailure(
    await runDpo([url, "db", "current", "--connect-timeout", "30"]),
    1,
    /refused the connection: unsupported startup parameter: options; remove it from the URL/,
  );
  assert(Date.now() - started < 10_000, "a refused startup parameter was retried");
});

Deno.test(`${AGENTS} agents through PgBouncer each run a two-step pipeline execution at once, and every execution, step and checksum is stored exactly once`, async () => {
  await using db = await createTestDatabase();
  await using models = await temporaryFolder();
  const url = bouncerUrl(db.name);
  const upgrade = await runDpo([url, "db", "upgrade"]);
  assertEquals(upgrade.code, 0, upgrade.stderr);
  await writeFleetModels(models.path, AGENTS);
  const process = semaphore(PROCESSES);
  const fleet = await runFleet({
    agents: AGENTS,
    modelsRoot: models.path,
    run: (args, env) => process(() => runDpo([url, ...args], { env })),
  });
  const runs = [fleet.seed, ...fleet.agents];
  assertEquals(await checkFleet(postgresFleetStore(db.sql), runs), []);
  // Every agent compared against an execution: the seed's, or one that completed before it asked.
  assertEquals(fleet.agents.filter((run) => run.previous === ""), []);
  // Through PgBouncer a connection is never refused: agents queue for a server connection.
  assertEquals(runs.flatMap((run) => run.commands).filter((c) => c.retriedConnect), []);
});
