/**
 * dpo under load: 16 build agents each running a whole two-step pipeline execution at the same
 * time against one PostgreSQL database (direct, no pooler), and 4 at once on one embedded store,
 * where they queue for its lock. Every command must succeed, every execution, step and checksum
 * be stored exactly once, and every comparison be what the agents' files imply.
 */
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { PGlite } from "@electric-sql/pglite";
import type postgres from "postgres";
import { checkFleet, FLEET_STEPS, runFleet, writeFleetModels } from "../../scripts/lib/fleet.ts";
import { dpoOk, runDpo } from "../helpers/cli.ts";
import { temporaryFolder } from "../helpers/model_tree.ts";
import { openStoreUnderTest } from "../helpers/pipeline.ts";
import { createTestDatabase } from "../helpers/postgres_server.ts";

const SERVER_AGENTS = 16;
const EMBEDDED_AGENTS = 4;
/** Each embedded-store command waits for the ones before it: ample for all of them. */
const EMBEDDED_LOCK_WAIT_SECONDS = "180";

Deno.test(`${SERVER_AGENTS} agents each run a pipeline execution at once on one PostgreSQL database, and every execution, step and checksum is stored exactly once`, async () => {
  await using db = await createTestDatabase();
  await using models = await temporaryFolder();
  await dpoOk([db.url, "db", "upgrade"]);
  await writeFleetModels(models.path, SERVER_AGENTS);
  const fleet = await runFleet({
    agents: SERVER_AGENTS,
    modelsRoot: models.path,
    run: (args, env) => runDpo([db.url, ...args], { env }),
  });
  assertEquals(await checkFleet(db.sql, [fleet.seed, ...fleet.agents]), []);
  // Every agent compared against an execution: the seed's, or one that completed before it asked.
  assertEquals(fleet.agents.filter((run) => run.previous === ""), []);
});

/**
 * The tagged-template queries checkFleet() makes, answered by PGlite: `${value}`s become $n
 * parameters, as postgres.js sends them.
 */
function pgliteAsSql(pglite: PGlite): postgres.Sql {
  const query = async (strings: TemplateStringsArray, ...values: unknown[]) =>
    (await pglite.query(strings.reduce((text, part, i) => `${text}$${i}${part}`), values)).rows;
  return query as unknown as postgres.Sql;
}

Deno.test(`${EMBEDDED_AGENTS} agents each run a pipeline execution at once on one embedded store, queueing for its lock, and every execution, step and checksum is stored exactly once`, async () => {
  await using store = await openStoreUnderTest("PGlite");
  await using models = await temporaryFolder();
  await writeFleetModels(models.path, EMBEDDED_AGENTS);
  const fleet = await runFleet({
    agents: EMBEDDED_AGENTS,
    modelsRoot: models.path,
    run: (args, env) => runDpo([...store.args, ...args], { env }),
    extraArgs: ["--connect-timeout", EMBEDDED_LOCK_WAIT_SECONDS],
  });
  const runs = [fleet.seed, ...fleet.agents];

  // Read back through the CLI, which takes the store's lock like any agent…
  const listed = JSON.parse(
    await dpoOk([...store.args, "executions", "--format", "json", "--limit", "100"]),
  );
  assertEquals(
    listed.map((e: Record<string, unknown>) => [e.execution_id, e.status, e.steps, e.models])
      .sort(),
    runs.map((run) => [run.executionId, "COMPLETED", FLEET_STEPS.length, 6]).sort(),
  );
  // …then row by row, with PGlite opened here once no dpo process holds the store.
  const pglite = await PGlite.create(`${store.args[1].replace(/^pglite:/, "")}/pgdata`);
  try {
    assertEquals(await checkFleet(pgliteAsSql(pglite), runs), []);
  } finally {
    await pglite.close();
  }
  assertEquals(fleet.agents.filter((run) => run.previous === ""), []);
});
