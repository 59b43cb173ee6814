/**
 * The command forms of the Python tool's README usage example keep working on PostgreSQL, so
 * pipeline scripts written for it run unchanged.
 */
import { deepStrictEqual as assertEquals, match as assertMatch } from "node:assert/strict";
import { type CliOptions, dpoOk, runDpo } from "../helpers/cli.ts";
import { temporaryFolder, writeModels } from "../helpers/model_tree.ts";
import { createTestDatabase, serverSettings } from "../helpers/postgres_server.ts";
import { assertCleanFailure, ISO_TIMESTAMP } from "../helpers/pipeline.ts";

Deno.test("the README's usage example runs with postgresql+psycopg2:// before the command, and with postgres:// by --db or DPO_DATABASE_URL", async () => {
  await using db = await createTestDatabase();
  await using models = await temporaryFolder();
  const psycopg2Url = db.url.replace(/^postgresql:\/\//, "postgresql+psycopg2://");
  const postgresUrl = db.url.replace(/^postgresql:\/\//, "postgres://");
  const inModels: CliOptions = { cwd: models.path };
  const byEnvironment: CliOptions = { env: { DPO_DATABASE_URL: postgresUrl } };
  await writeModels(models.path, {
    "load/customers.json": '{"id": 1}\n',
    "load/nested/orders.json": '{"id": 2}\n',
    "load/skip.txt": "not a model\n",
    "transform/group1/c1.csv": "c\n1\n",
    "transform/group2/deep/s1.sql": "select 1;\n",
    "transform/group2/s2.sql": "select 2;\n",
  });
  await dpoOk([psycopg2Url, "db", "upgrade"]);

  // Run 1, line by line as the README's example, a relative base path included; its empty
  // string for "no previous execution" is asked for with --if-none "".
  const run1 = await dpoOk([psycopg2Url, "init-execution"]);
  assertEquals(
    await dpoOk([psycopg2Url, "get-last-successful-execution"]),
    "NO_LAST_SUCCESSFUL_EXECUTION",
  );
  const noPrevious = await dpoOk([psycopg2Url, "get-last-successful-execution", "--if-none", ""]);
  assertEquals(noPrevious, "");
  assertMatch(
    await dpoOk([psycopg2Url, "get-execution-last-updated-timestamp", noPrevious]),
    ISO_TIMESTAMP,
  );
  assertMatch(
    await dpoOk(
      [psycopg2Url, "persist-models", run1, "load", "./load", "**/*.json"],
      inModels,
    ),
    /^[0-9a-f-]{36}$/,
  );
  assertEquals(await runDpo([psycopg2Url, "compare-models", noPrevious, run1, "load"]), {
    code: 0,
    stdout: "customers orders\n",
    stderr: "",
  });
  await dpoOk([
    psycopg2Url,
    "persist-models",
    run1,
    "transform",
    `${models.path}/transform`,
    "group1/*.csv",
    "./group2/**/*.sql",
  ]);
  assertEquals(await runDpo([psycopg2Url, "compare-models", noPrevious, run1, "transform"]), {
    code: 0,
    stdout: "c1 s1 s2\n",
    stderr: "",
  });
  assertEquals(await dpoOk([psycopg2Url, "complete-execution", run1]), "");

  // Run 2: postgres:// by --db and by the environment, options after the command.
  const init = await runDpo(["--db", postgresUrl, "init-execution", "--log-level", "DEBUG"]);
  assertEquals(init.code, 0);
  assertMatch(init.stdout, /^[0-9a-f-]{36}\n$/);
  assertMatch(init.stderr, / - dpo - DEBUG - Using the store postgres:\/\/[^:]*:\*\*\*@/);
  assertEquals(init.stderr.includes(serverSettings().password), false);
  const run2 = init.stdout.trim();
  const previous = await dpoOk(["get-last-successful-execution"], byEnvironment);
  assertEquals(previous, run1);
  const lastUpdated = await dpoOk(
    ["get-execution-last-updated-timestamp", previous],
    byEnvironment,
  );
  assertMatch(lastUpdated, ISO_TIMESTAMP);
  assertEquals(
    await dpoOk(["--db", postgresUrl, "get-execution-completion-timestamp", previous]),
    lastUpdated,
  );

  await writeModels(models.path, {
    "load/nested/orders.json": '{"id": 3}\n',
    "load/returns.json": '{"id": 4}\n',
  });
  await dpoOk(["persist-models", run2, "LOAD", "./load", "**/*.json"], {
    ...inModels,
    ...byEnvironment,
  });
  assertEquals(await runDpo(["--db", postgresUrl, "compare-models", previous, run2, "load"]), {
    code: 0,
    stdout: "orders returns\n",
    stderr: "",
  });
  assertEquals(
    await runDpo(["compare-models", previous, run2, "Load", "--separator", ","], byEnvironment),
    { code: 0, stdout: "orders,returns\n", stderr: "" },
  );
  assertCleanFailure(
    await runDpo([psycopg2Url, "compare-models", previous, run2, "transform"]),
    1,
    new RegExp(`^error: Execution "${run2}" has no step "TRANSFORM": record it first`),
  );
  await dpoOk(["complete-execution", run2], byEnvironment);
  assertEquals(await dpoOk([psycopg2Url, "get-last-successful-execution"]), run2);

  const steps = await db.sql`
    select e.execution_id::text as execution, s.step_name, count(m.*)::int as models
    from dpo.execution e join dpo.execution_step s using (execution_id)
      left join dpo.execution_step_model m using (execution_step_id)
    group by e.execution_id, e.completed_on, s.step_name
    order by e.completed_on, s.step_name`;
  assertEquals(steps.map((row) => ({ ...row })), [
    { execution: run1, step_name: "LOAD", models: 2 },
    { execution: run1, step_name: "TRANSFORM", models: 3 },
    { execution: run2, step_name: "LOAD", models: 3 },
  ]);
});
