/**
 * Issue 17: `dpo prune` on PostgreSQL and on the embedded store. It deletes whole executions
 * (steps and checksums with them), never a pipeline's last successful execution nor an unfinished
 * one unless asked, changes nothing with --dry-run, needs DELETE on PostgreSQL, and keeps
 * exactly-once for agents that record meanwhile.
 */
import { deepStrictEqual as assertEquals, match as assertMatch } from "node:assert/strict";
import {
  checkFleet,
  postgresFleetStore,
  runFleet,
  writeFleetModels,
} from "../../scripts/lib/fleet.ts";
import { dpoOk, runDpo } from "../helpers/cli.ts";
import { temporaryFolder, writeModels } from "../helpers/model_tree.ts";
import {
  assertCleanFailure,
  createTestRole,
  openStoreUnderTest,
  ORPHAN_ROWS_QUERY,
  snapshotTables,
  sqliteFleetStore,
  STORE_KINDS,
  type StoreUnderTest,
} from "../helpers/pipeline.ts";
import { databaseUrl, serverSettings, superuserClient } from "../helpers/postgres_server.ts";
import { recordRunsInProcess } from "../helpers/recorded_runs.ts";

/** Rows that lost their execution or step: whole executions go, never part of one. */
async function orphans(store: { rows: StoreUnderTest["rows"] }): Promise<unknown> {
  return await store.rows(ORPHAN_ROWS_QUERY).then((rows) =>
    rows.map((row) => ({ steps: Number(row.steps), models: Number(row.models) }))
  );
}

async function executionIds(store: StoreUnderTest): Promise<string[]> {
  const rows = await store.rows(
    "SELECT CAST(execution_id AS text) AS id FROM dpo.execution ORDER BY started_on",
  );
  return rows.map((row) => String(row.id));
}

for (const kind of STORE_KINDS) {
  Deno.test(`${kind}: prune deletes whole executions, keeps each pipeline's baseline and unfinished runs, and --dry-run changes nothing`, async () => {
    await using store = await openStoreUnderTest(kind);
    await using models = await temporaryFolder();
    const dpo = (args: string[]) => dpoOk([...store.args, ...args]);
    await writeModels(models.path, { "a.sql": "select 1;\n", "b.sql": "select 2;\n" });
    const [first, failed, baseline, running, other] = await recordRunsInProcess(
      store,
      models.path,
      [
        { pipeline: "default", end: "complete" },
        { pipeline: "default", end: "fail" },
        { pipeline: "default", end: "complete" },
        { pipeline: "default", end: "none" },
        { pipeline: "other", end: "complete" },
      ],
    );

    // Usage: a rule is required, unfinished runs only with a cut-off.
    for (
      const args of [
        ["prune"],
        ["prune", "--keep-last", "0", "--include-unfinished"],
        ["prune", "--keep-last", "-1"],
        ["prune", "--older-than", "yesterday"],
        ["--pipeline", "x", "prune", "--all-pipelines", "--keep-last", "1"],
      ]
    ) {
      assertCleanFailure(await runDpo([...store.args, ...args]), 2, /^error: /);
    }

    const before = await snapshotTables(store.rows);
    const dryRun = (await dpo(["prune", "--all-pipelines", "--keep-last", "0", "--dry-run"]))
      .split("\n");
    assertEquals(dryRun[0].split(/\s+/), [
      "EXECUTION",
      "ID",
      "PIPELINE",
      "STATUS",
      "STARTED",
      "STEPS",
      "MODELS",
    ]);
    assertEquals(dryRun.slice(1, 3).map((line) => line.split(/\s+/).slice(0, 3)), [
      [first, "default", "COMPLETED"],
      [failed, "default", "FAILED"],
    ]);
    assertEquals(dryRun.slice(3), ["", "Would prune 2 executions, 2 steps, 4 model rows"]);
    const dryJson = JSON.parse(
      await dpo(["--format", "json", "prune", "--keep-last", "1", "--dry-run"]),
    );
    assertEquals(dryJson.dry_run, true);
    assertEquals(dryJson.started_before, null);
    assertEquals(dryJson.executions.map((e: { execution_id: string }) => e.execution_id), [
      first,
      failed,
    ]);
    assertEquals(dryJson.totals, { executions: 2, steps: 2, model_rows: 4 });
    assertEquals(await snapshotTables(store.rows), before);

    // Batches of one model row: many short transactions, still whole executions.
    assertEquals(
      await dpo(["prune", "--all-pipelines", "--keep-last", "0", "--batch-rows", "1"]),
      "Pruned 2 executions, 2 steps, 4 model rows",
    );
    assertEquals(await executionIds(store), [baseline, running, other]);
    assertEquals(await orphans(store), [{ steps: 0, models: 0 }]);
    assertEquals(await dpo(["get-last-successful-execution"]), baseline);
    assertEquals(
      await dpo(["--pipeline", "other", "get-last-successful-execution"]),
      other,
    );
    assertEquals(
      await dpo(["prune", "--all-pipelines", "--keep-last", "0"]),
      "Pruned nothing",
    );

    // The unfinished run goes only when asked and older than the cut-off; it is failed first, so
    // an agent still holding its id is refused, and the baseline stays.
    assertEquals(
      await dpo(["prune", "--older-than", "1w", "--include-unfinished"]),
      "Pruned nothing",
    );
    const pruned = JSON.parse(
      await dpo([
        "--format",
        "json",
        "prune",
        "--older-than",
        "2999-01-01",
        "--include-unfinished",
      ]),
    );
    assertEquals(pruned.dry_run, false);
    assertEquals(pruned.started_before, "2999-01-01T00:00:00+00:00");
    assertEquals(pruned.executions.map((e: { execution_id: string }) => e.execution_id), [
      running,
    ]);
    assertEquals(pruned.totals, { executions: 1, steps: 1, model_rows: 2 });
    assertEquals(await executionIds(store), [baseline, other]);
    assertCleanFailure(
      await runDpo([...store.args, "init-step", running, "LOAD", models.path, "*.sql"]),
      1,
      /^error: Execution ".*" does not exist: use an id printed by init-execution$/,
    );
    assertEquals(
      await store.rows(
        "SELECT CAST(count(*) AS text) AS n FROM dpo.execution_step_model",
      ),
      [{ n: "4" }],
    );
  });
}

Deno.test("PostgreSQL: prune as a role without DELETE fails with one line and deletes nothing; with DELETE it prunes", async () => {
  await using store = await openStoreUnderTest("PostgreSQL");
  await using role = await createTestRole();
  await using models = await temporaryFolder();
  await writeModels(models.path, { "a.sql": "select 1;\n" });
  await recordRunsInProcess(store, models.path, [
    { pipeline: "default", end: "complete" },
    { pipeline: "default", end: "complete" },
  ]);
  const name = new URL(store.args[0]).pathname.slice(1);
  await using admin = adminOf(name);
  await admin.sql.unsafe(`GRANT USAGE ON SCHEMA dpo TO ${role.name};
    GRANT SELECT, INSERT, UPDATE
      ON dpo.execution, dpo.execution_step, dpo.execution_step_model TO ${role.name};`);
  const asRole = databaseUrl(name, { user: role.name, password: role.password });
  const before = await snapshotTables(store.rows);
  assertMatch(
    await dpoOk([asRole, "prune", "--keep-last", "0", "--dry-run"]),
    /Would prune 1 execution, 1 step, 1 model row$/,
  );
  assertCleanFailure(
    await runDpo([asRole, "prune", "--keep-last", "0"]),
    1,
    new RegExp(
      `^error: Role "${role.name}" may not delete rows of dpo's tables: prune needs DELETE on ` +
        "dpo.execution, dpo.execution_step and dpo.execution_step_model " +
        "\\(see docs/state-retention.md\\)$",
    ),
  );
  assertEquals(await snapshotTables(store.rows), before);
  await admin.sql.unsafe(
    `GRANT DELETE ON dpo.execution, dpo.execution_step, dpo.execution_step_model
       TO ${role.name}`,
  );
  assertEquals(
    await dpoOk([asRole, "prune", "--keep-last", "0"]),
    "Pruned 1 execution, 1 step, 1 model row",
  );
  await admin.sql.unsafe(`REVOKE ALL ON ALL TABLES IN SCHEMA dpo FROM ${role.name};
    REVOKE ALL ON SCHEMA dpo FROM ${role.name}`);
});

/** A superuser connection to an existing test database (to grant), closed by `await using`. */
function adminOf(name: string) {
  const sql = superuserClient(name);
  return { sql, [Symbol.asyncDispose]: () => sql.end() };
}

const PRUNING_AGENTS = 8;
const OLD_RUNS = 8;

/** A URL for `database` through the PgBouncer (transaction mode) that scripts/test.sh starts. */
function bouncerUrl(database: string): string {
  const port = Deno.env.get("DPO_TEST_PGBOUNCER_PORT");
  if (!port) {
    throw new Error("DPO_TEST_PGBOUNCER_PORT is not set: run the tests through ./scripts/test.sh");
  }
  const server = serverSettings();
  return `postgresql://${encodeURIComponent(server.user)}:${
    encodeURIComponent(server.password)
  }@${server.host}:${port}/${database}`;
}

for (const path of ["PostgreSQL", "PgBouncer", "SQLite"] as const) {
  Deno.test(`${path}: two prunes of another pipeline while ${PRUNING_AGENTS} agents record keep exactly-once for them, take turns, and the pruned executions are gone whole`, async () => {
    const kind = path === "SQLite" ? "SQLite" : "PostgreSQL";
    await using opened = await openStoreUnderTest(kind);
    const store = path === "PgBouncer"
      ? { ...opened, args: [bouncerUrl(new URL(opened.args[0]).pathname.slice(1))] }
      : opened;
    await using models = await temporaryFolder();
    const busy = kind === "SQLite" ? ["--connect-timeout", "60"] : [];
    const dpo = (args: string[]) => dpoOk([...store.args, ...args, ...busy]);
    const old = `${models.path}/old`;
    await writeModels(
      old,
      Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`m${i}.sql`, `select ${i};\n`])),
    );
    const oldRuns = await recordRunsInProcess(
      opened,
      old,
      Array.from({ length: OLD_RUNS }, () => ({ pipeline: "old", end: "complete" as const })),
    );
    await writeFleetModels(`${models.path}/fleet`, PRUNING_AGENTS);
    const prune = ["--format", "json", "--pipeline", "old", "prune", "--keep-last", "0"];
    const [fleet, ...prunes] = await Promise.all([
      runFleet({
        agents: PRUNING_AGENTS,
        modelsRoot: `${models.path}/fleet`,
        run: (args, env) => runDpo([...store.args, ...args], { env }),
        extraArgs: busy,
      }),
      dpo([...prune, "--batch-rows", "3"]),
      dpo([...prune, "--batch-rows", "5"]),
    ]);
    // Each counts what it deleted; together, every old execution but the baseline, once.
    const totals = prunes.map((output) => JSON.parse(output).totals);
    assertEquals(
      {
        executions: totals[0].executions + totals[1].executions,
        steps: totals[0].steps + totals[1].steps,
        model_rows: totals[0].model_rows + totals[1].model_rows,
      },
      { executions: OLD_RUNS - 1, steps: OLD_RUNS - 1, model_rows: 210 },
    );
    const runs = [fleet.seed, ...fleet.agents];
    if (kind === "PostgreSQL") {
      await using admin = adminOf(new URL(opened.args[0]).pathname.slice(1));
      assertEquals(await checkFleet(postgresFleetStore(admin.sql), runs), []);
    } else {
      assertEquals(await checkFleet(sqliteFleetStore(store), runs), []);
    }
    assertEquals(
      (await store.rows(
        "SELECT CAST(execution_id AS text) AS id FROM dpo.execution WHERE pipeline = 'old'",
      ))
        .map((row) => row.id),
      [oldRuns.at(-1)],
    );
    assertEquals(await orphans(store), [{ steps: 0, models: 0 }]);
    assertEquals(
      await store.rows(
        `SELECT CAST(count(*) AS text) AS n FROM dpo.execution_step_model m
         JOIN dpo.execution_step s ON s.execution_step_id = m.execution_step_id
         JOIN dpo.execution e ON e.execution_id = s.execution_id WHERE e.pipeline = 'old'`,
      ),
      [{ n: "30" }],
    );
  });
}
