/**
 * Whole pipeline executions through the CLI, as a build agent runs them, on PostgreSQL (after
 * `db upgrade`) and on the embedded SQLite store.
 */
import { deepStrictEqual as assertEquals, match as assertMatch } from "node:assert/strict";
import { dpoOk, runDpo } from "../helpers/cli.ts";
import { temporaryFolder, writeModels } from "../helpers/model_tree.ts";
import {
  ISO_TIMESTAMP,
  maskLog,
  openStoreUnderTest,
  sha256OfFile,
  STORE_KINDS,
  type StoreUnderTest,
} from "../helpers/pipeline.ts";

const LOAD_PATTERNS = ["**/*.sql", "./x/**/*.csv", "x/*.sql"];

/** Each model's checksum as stored for one execution, keyed `STEP/model`. */
async function storedChecksums(
  store: StoreUnderTest,
  executionId: string,
): Promise<Record<string, string>> {
  const rows = await store.rows(
    `SELECT s.step_name || '/' || m.model_name AS model, m.checksum
     FROM dpo.execution_step s JOIN dpo.execution_step_model m USING (execution_step_id)
     WHERE s.execution_id = '${executionId}'`,
  );
  return Object.fromEntries(rows.map((row) => [row.model, row.checksum]));
}

/** What sha256sum says of each file, keyed like storedChecksums(). */
async function fileChecksums(files: Record<string, string>): Promise<Record<string, string>> {
  const checksums: Record<string, string> = {};
  for (const [key, path] of Object.entries(files)) checksums[key] = await sha256OfFile(path);
  return checksums;
}

/** The time a summary or warning line gives after `label`. */
function timeAfter(label: string, stderr: string): string {
  const match = stderr.match(new RegExp(`${label} (\\S+?)(;|: )`));
  if (!match) throw new Error(`no "${label}" in ${stderr}`);
  return match[1];
}

for (const kind of STORE_KINDS) {
  Deno.test(`two pipeline executions on ${kind} report exactly the models added or modified since the last successful one`, async () => {
    await using store = await openStoreUnderTest(kind);
    await using models = await temporaryFolder();
    const load = `${models.path}/load`;
    const transform = `${models.path}/transform`;
    const dpo = (args: string[]) => runDpo([...store.args, ...args]);
    const dpoPrints = (args: string[]) => dpoOk([...store.args, ...args]);

    await writeModels(load, {
      "a.sql": "select 'a';\n",
      ".hidden.sql": "select 'hidden, first';\n",
      "x/B.csv": "id\n1\n",
      "x/sp ace.sql": "select 'space';\n",
      // Larger than the hasher's 1 MiB buffer, so the digest covers several reads.
      "x/y/z2.csv": "row\n".repeat(700_000),
      "notes.txt": "not a model\n",
    });
    await writeModels(transform, {
      "t1.sql": "select 1;\n",
      "t2.sql": "select 2;\n",
      "sub/readme.md": "not a model\n",
    });

    // Run 1: no previous execution, so every model counts as changed.
    const run1 = await dpoPrints(["init-execution"]);
    assertMatch(run1, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    assertEquals(await dpo(["get-last-successful-execution"]), {
      code: 0,
      stdout: "NO_LAST_SUCCESSFUL_EXECUTION\n",
      stderr: "",
    });
    const load1 = await dpoPrints(["init-step", run1, "load", load, ...LOAD_PATTERNS]);
    assertEquals(await dpo(["compare-step-models", load1, ""]), {
      code: 0,
      stdout: ".hidden B a sp ace z2\n",
      stderr: "",
    });
    const transform1 = await dpoPrints(["init-step", run1, "TRANSFORM", transform, "**/*.sql"]);
    assertEquals(
      await dpo([
        "compare-step-models",
        transform1,
        "NO_LAST_SUCCESSFUL_EXECUTION",
        "--separator",
        ",",
      ]),
      { code: 0, stdout: "t1,t2\n", stderr: "" },
    );

    const completeLoad1 = await dpo(["complete-step", load1, "-r", "2147483647"]);
    assertEquals(completeLoad1.code, 0);
    assertEquals(completeLoad1.stdout, "");
    assertEquals(
      maskLog(completeLoad1.stderr),
      "<log> - dpo - INFO - Completed Execution Step: LOAD; Started On: <time>; " +
        "Completed On: <time>; Execution Time: <duration>; Models Processed: 5; " +
        "Rows Processed: 2,147,483,647.\n",
    );
    const completeLoadAgain = await dpo(["complete-step", load1, "-r", "1"]);
    assertEquals(completeLoadAgain.code, 0);
    assertEquals(completeLoadAgain.stdout, "");
    assertEquals(
      maskLog(completeLoadAgain.stderr),
      `<log> - dpo - WARNING - Step "${load1}" was already completed on <time>: unchanged\n`,
    );
    assertEquals(
      timeAfter("completed on", completeLoadAgain.stderr),
      timeAfter("Completed On:", completeLoad1.stderr),
    );

    const completeTransform1 = await dpo([
      "complete-step",
      transform1,
      "--rows-processed",
      "9223372036854775807",
    ]);
    assertEquals([completeTransform1.code, completeTransform1.stdout], [0, ""]);
    assertMatch(
      maskLog(completeTransform1.stderr),
      /^<log> - dpo - INFO - Completed Execution Step: TRANSFORM; .*; Models Processed: 2; Rows Processed: 9,223,372,036,854,775,807\.\n$/,
    );
    assertEquals(await dpo(["get-execution-completion-timestamp", run1]), {
      code: 0,
      stdout: "\n",
      stderr: "",
    });

    const completeRun1 = await dpo(["complete-execution", run1]);
    assertEquals([completeRun1.code, completeRun1.stdout], [0, ""]);
    assertEquals(
      maskLog(completeRun1.stderr),
      `<log> - dpo - INFO - Completed Execution: ${run1}; Started On: <time>; ` +
        "Completed On: <time>; Execution Time: <duration>; Steps Processed: 2.\n",
    );
    const completeRun1Again = await dpo(["complete-execution", run1]);
    assertEquals([completeRun1Again.code, completeRun1Again.stdout], [0, ""]);
    assertEquals(
      maskLog(completeRun1Again.stderr),
      `<log> - dpo - WARNING - Execution "${run1}" was already completed on <time>: unchanged\n`,
    );
    assertEquals(await dpoPrints(["get-last-successful-execution"]), run1);
    const completedOn = await dpoPrints(["get-execution-completion-timestamp", run1]);
    assertMatch(completedOn, ISO_TIMESTAMP);
    assertEquals(completedOn, timeAfter("Completed On:", completeRun1.stderr));

    const run1Files = {
      "LOAD/.hidden": `${load}/.hidden.sql`,
      "LOAD/B": `${load}/x/B.csv`,
      "LOAD/a": `${load}/a.sql`,
      "LOAD/sp ace": `${load}/x/sp ace.sql`,
      "LOAD/z2": `${load}/x/y/z2.csv`,
      "TRANSFORM/t1": `${transform}/t1.sql`,
      "TRANSFORM/t2": `${transform}/t2.sql`,
    };
    assertEquals(await storedChecksums(store, run1), await fileChecksums(run1Files));

    // Run 2: .hidden and B modified, a deleted, Z10, _x, é and ab added, sp ace and z2 unchanged.
    await Deno.remove(`${load}/a.sql`);
    await writeModels(load, {
      ".hidden.sql": "select 'hidden, second';\n",
      "x/B.csv": "id\n1\n2\n",
      "Z10.sql": "select 10;\n",
      "_x.sql": "select 'x';\n",
      "x/y/é.csv": "e\n",
      "x/y/deep/ab.csv": "ab\n",
    });
    await writeModels(transform, { "t1.sql": "select 1 + 0;\n", "t3.sql": "select 3;\n" });

    const run2 = crypto.randomUUID();
    assertEquals(await dpoPrints(["init-execution", "--execution-id", run2]), run2);
    const previous = await dpoPrints(["get-last-successful-execution"]);
    assertEquals(previous, run1);
    const load2 = await dpoPrints(["init-step", run2, "LOAD", load, ...LOAD_PATTERNS]);
    assertEquals(await dpo(["compare-step-models", load2, previous]), {
      code: 0,
      stdout: ".hidden B Z10 _x ab é\n",
      stderr: "",
    });
    assertEquals(await dpo(["compare-step-models", load2, previous, "--separator", ","]), {
      code: 0,
      stdout: ".hidden,B,Z10,_x,ab,é\n",
      stderr: "",
    });
    const transform2 = await dpoPrints(["init-step", run2, "transform", transform, "**/*.sql"]);
    assertEquals(await dpo(["compare-step-models", transform2, previous]), {
      code: 0,
      stdout: "t1 t3\n",
      stderr: "",
    });

    const completeLoad2 = await dpo(["complete-step", load2]);
    assertEquals([completeLoad2.code, completeLoad2.stdout], [0, ""]);
    assertMatch(
      maskLog(completeLoad2.stderr),
      /^<log> - dpo - INFO - Completed Execution Step: LOAD; .*; Models Processed: 8; Rows Processed: N\/A\.\n$/,
    );
    assertEquals(await dpoPrints(["complete-execution", run2]), "");
    assertEquals(await dpoPrints(["get-last-successful-execution"]), run2);

    const run2Files = {
      "LOAD/.hidden": `${load}/.hidden.sql`,
      "LOAD/B": `${load}/x/B.csv`,
      "LOAD/Z10": `${load}/Z10.sql`,
      "LOAD/_x": `${load}/_x.sql`,
      "LOAD/ab": `${load}/x/y/deep/ab.csv`,
      "LOAD/sp ace": `${load}/x/sp ace.sql`,
      "LOAD/z2": `${load}/x/y/z2.csv`,
      "LOAD/é": `${load}/x/y/é.csv`,
      "TRANSFORM/t1": `${transform}/t1.sql`,
      "TRANSFORM/t2": `${transform}/t2.sql`,
      "TRANSFORM/t3": `${transform}/t3.sql`,
    };
    assertEquals(await storedChecksums(store, run2), await fileChecksums(run2Files));
    const steps = await store.rows(
      `SELECT CAST(e.execution_id AS text) AS execution, s.step_name, s.status,
         CAST(s.rows_processed AS text) AS rows_processed
       FROM dpo.execution e JOIN dpo.execution_step s USING (execution_id)
       ORDER BY e.execution_id = '${run2}', s.step_name`,
    );
    assertEquals(steps, [
      { execution: run1, step_name: "LOAD", status: "COMPLETED", rows_processed: "2147483647" },
      {
        execution: run1,
        step_name: "TRANSFORM",
        status: "COMPLETED",
        rows_processed: "9223372036854775807",
      },
      { execution: run2, step_name: "LOAD", status: "COMPLETED", rows_processed: null },
      { execution: run2, step_name: "TRANSFORM", status: "IN_PROGRESS", rows_processed: null },
    ]);
  });

  Deno.test(`on ${kind} init-execution reuses an id given with -id, a step the previous execution lacks lists every model with a warning, and a step matching no file is recorded empty`, async () => {
    await using store = await openStoreUnderTest(kind);
    await using models = await temporaryFolder();
    await writeModels(models.path, { "e1.sql": "select 1;\n", "sub/e2.sql": "select 2;\n" });
    const dpo = (args: string[]) => runDpo([...store.args, ...args]);
    const dpoPrints = (args: string[]) => dpoOk([...store.args, ...args]);

    // Named without argv: DPO_DATABASE_URL, or the SQLite store in .dpo of the working folder.
    const previous = crypto.randomUUID();
    assertEquals(await runDpo(["init-execution", "-id", previous], store.implicit), {
      code: 0,
      stdout: `${previous}\n`,
      stderr: "",
    });
    await dpoPrints(["complete-execution", previous]);

    const current = await dpoPrints(["init-execution"]);
    const exportStep = await dpoPrints(["init-step", current, "export", models.path, "**/*.sql"]);
    const lacking = await dpo(["compare-step-models", exportStep, previous]);
    assertEquals([lacking.code, lacking.stdout], [0, "e1 e2\n"]);
    assertEquals(
      maskLog(lacking.stderr),
      `<log> - dpo - WARNING - Execution "${previous}" has no step "EXPORT": ` +
        "every model counts as changed\n",
    );

    const emptyStep = await dpo(["init-step", current, "audit", models.path, "missing/**/*.sql"]);
    assertEquals(emptyStep.code, 0);
    assertMatch(emptyStep.stdout, /^[0-9a-f-]{36}\n$/);
    assertEquals(
      maskLog(emptyStep.stderr),
      `<log> - dpo - WARNING - No model file under "${models.path}" matches ` +
        '"missing/**/*.sql": the step is recorded without models\n',
    );
    const auditStep = emptyStep.stdout.trim();
    assertEquals(await dpo(["compare-step-models", auditStep, "NO_LAST_SUCCESSFUL_EXECUTION"]), {
      code: 0,
      stdout: "\n",
      stderr: "",
    });
    const completeAudit = await dpo(["complete-step", auditStep, "-r", "0"]);
    assertEquals([completeAudit.code, completeAudit.stdout], [0, ""]);
    assertMatch(
      maskLog(completeAudit.stderr),
      /^<log> - dpo - INFO - Completed Execution Step: AUDIT; .*; Models Processed: 0; Rows Processed: 0\.\n$/,
    );

    const unused = await dpoPrints(["init-execution"]);
    const executions = await store.rows(
      `SELECT CAST(e.execution_id AS text) AS execution, e.status, s.step_name,
         CAST(count(m.execution_step_model_id) AS text) AS models
       FROM dpo.execution e LEFT JOIN dpo.execution_step s USING (execution_id)
         LEFT JOIN dpo.execution_step_model m USING (execution_step_id)
       GROUP BY e.execution_id, e.created_on, e.status, s.step_name
       ORDER BY e.created_on, s.step_name`,
    );
    assertEquals(executions, [
      { execution: previous, status: "COMPLETED", step_name: null, models: "0" },
      { execution: current, status: "IN_PROGRESS", step_name: "AUDIT", models: "0" },
      { execution: current, status: "IN_PROGRESS", step_name: "EXPORT", models: "2" },
      { execution: unused, status: "INITIALISED", step_name: null, models: "0" },
    ]);
  });
}
