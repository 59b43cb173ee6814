/**
 * dpo under load: 16 build agents each running a whole two-step pipeline execution at the same
 * time against one PostgreSQL database (direct, no pooler), and 16 at once on one embedded SQLite
 * store, whose writers take turns on its write-ahead log. Every command must succeed, every
 * execution, step and checksum be stored exactly once, and every comparison be what the agents'
 * files imply.
 */
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import {
  checkFleet,
  FLEET_STEPS,
  postgresFleetStore,
  runFleet,
  writeFleetModels,
} from "../../scripts/lib/fleet.ts";
import { dpoOk, runDpo } from "../helpers/cli.ts";
import { temporaryFolder } from "../helpers/model_tree.ts";
import { openStoreUnderTest, sqliteFleetStore } from "../helpers/pipeline.ts";
import { createTestDatabase } from "../helpers/postgres_server.ts";

const SERVER_AGENTS = 16;
const EMBEDDED_AGENTS = 16;
/** A writer waits for the others' short transactions: ample on a loaded 2-core machine. */
const EMBEDDED_BUSY_WAIT_SECONDS = "60";

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
  assertEquals(await checkFleet(postgresFleetStore(db.sql), [fleet.seed, ...fleet.agents]), []);
  // Every agent compared against an execution: the seed's, or one that completed before it asked.
  assertEquals(fleet.agents.filter((run) => run.previous === ""), []);
});

Deno.test(`${EMBEDDED_AGENTS} agents each run a pipeline execution at once on one embedded SQLite store, and every execution, step and checksum is stored exactly once`, async () => {
  await using store = await openStoreUnderTest("SQLite");
  await using models = await temporaryFolder();
  await writeFleetModels(models.path, EMBEDDED_AGENTS);
  const fleet = await runFleet({
    agents: EMBEDDED_AGENTS,
    modelsRoot: models.path,
    run: (args, env) => runDpo([...store.args, ...args], { env }),
    extraArgs: ["--connect-timeout", EMBEDDED_BUSY_WAIT_SECONDS],
  });
  const runs = [fleet.seed, ...fleet.agents];

  // Read back through the CLI…
  const listed = JSON.parse(
    await dpoOk([...store.args, "executions", "--format", "json", "--limit", "100"]),
  );
  assertEquals(
    listed.map((e: Record<string, unknown>) => [e.execution_id, e.status, e.steps, e.models])
      .sort(),
    runs.map((run) => [run.executionId, "COMPLETED", FLEET_STEPS.length, 6]).sort(),
  );
  // …then row by row, from the file itself.
  assertEquals(await checkFleet(sqliteFleetStore(store), runs), []);
  assertEquals(fleet.agents.filter((run) => run.previous === ""), []);
});
