/**
 * Issue 17: `dpo log <model>` (a model's history, newest first, text and JSON) and
 * `compare-step-models --explain` (what each model was compared with, and since when its
 * previous checksum held), on PostgreSQL and on the embedded store.
 */
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { dpoOk, runDpo } from "../helpers/cli.ts";
import { temporaryFolder, writeModels } from "../helpers/model_tree.ts";
import { openStoreUnderTest, sha256OfFile, STORE_KINDS } from "../helpers/pipeline.ts";

const TIME = /\d{4}-\d\d-\d\dT[\d:.]+\+00:00/g;

for (const kind of STORE_KINDS) {
  Deno.test(`${kind}: dpo log lists each execution that added, modified, renamed or deleted a model, newest first, and --explain tells what a change was compared with`, async () => {
    await using store = await openStoreUnderTest(kind);
    await using models = await temporaryFolder();
    const dpo = (args: string[]) => dpoOk([...store.args, ...args]);
    const root = models.path;
    const run = async (end: "complete-execution" | "fail-execution" | null) => {
      const execution = await dpo(["init-execution"]);
      const step = await dpo(["init-step", execution, "LOAD", root, "*.sql"]);
      if (end !== null) await dpo([end, execution]);
      return { execution, step };
    };
    const sum = async (name: string) => await sha256OfFile(`${root}/${name}.sql`);

    await writeModels(root, { "a.sql": "select 1;\n", "old.sql": "select 'moved';\n" });
    const a1 = await sum("a"), moved = await sum("old");
    const first = await run("complete-execution");
    const second = await run("complete-execution"); // nothing changed: no event
    await writeModels(root, { "a.sql": "select 2;\n", "new.sql": "select 'moved';\n" });
    await Deno.remove(`${root}/old.sql`);
    const a2 = await sum("a");
    const third = await run(null);

    // --explain: stdout as without it; stderr says what each model was compared with.
    const explained = await runDpo([
      ...store.args,
      "compare-step-models",
      third.step,
      second.execution,
      "--explain",
    ]);
    assertEquals([explained.code, explained.stdout], [0, "a new\n"]);
    assertEquals(explained.stderr.replace(TIME, "<time>").split("\n"), [
      `M a: execution ${second.execution} had ${a1.slice(0, 12)} (unchanged since execution ` +
      `${first.execution}, completed <time>); now ${a2.slice(0, 12)}`,
      `R old -> new: execution ${second.execution} had ${moved.slice(0, 12)} (unchanged since ` +
      `execution ${first.execution}, completed <time>); now ${moved.slice(0, 12)}`,
      "",
    ]);
    const doc = JSON.parse(
      await dpo([
        "--format",
        "json",
        "compare-step-models",
        third.step,
        second.execution,
        "--explain",
      ]),
    );
    assertEquals(doc.changed, ["a", "new"]);
    assertEquals(doc.explain[0], {
      model: "a",
      change: "M",
      renamed_from: null,
      previous_execution_id: second.execution,
      previous_step_id: second.step,
      checksum_before: a1,
      checksum_now: a2,
      stable_since_execution_id: first.execution,
      stable_since_completed_on: doc.explain[0].stable_since_completed_on,
    });
    assertEquals(
      (await runDpo([...store.args, "compare-step-models", first.step, "", "--explain"])).stderr,
      `A a: no previous execution; now ${a1.slice(0, 12)}\nA old: no previous execution; now ${
        moved.slice(0, 12)
      }\n`,
    );

    await dpo(["complete-execution", third.execution]);
    await Deno.remove(`${root}/a.sql`);
    const fourth = await run("fail-execution");

    const table = (await dpo(["log", "a"])).replace(TIME, "<time>").split("\n")
      .map((line) => line.split(/\s+/));
    assertEquals(
      table,
      [
        ["CHANGE", "EXECUTION", "ID", "STATUS", "COMPLETED", "STEP", "BEFORE", "AFTER", "RENAME"],
        ["D", fourth.execution, "FAILED", "<time>", "LOAD", a2.slice(0, 12), "-"],
        ["M", third.execution, "COMPLETED", "<time>", "LOAD", a1.slice(0, 12), a2.slice(0, 12)],
        ["A", first.execution, "COMPLETED", "<time>", "LOAD", "-", a1.slice(0, 12)],
      ].map((row) => row.filter((cell, i) => i < 8 || cell !== "")),
    );
    assertEquals(
      (await dpo(["log", "a", "--limit", "1"])).split("\n").length,
      2,
    );
    const renamed = JSON.parse(await dpo(["--format", "json", "log", "old", "--step", "load"]));
    assertEquals(renamed.model, "old");
    assertEquals(
      renamed.changes.map((c: Record<string, unknown>) => [
        c.change,
        c.execution_id,
        c.step_name,
        c.checksum_before,
        c.checksum_after,
        c.renamed_to,
      ]),
      [
        ["R", third.execution, "LOAD", moved, null, "new"],
        ["A", first.execution, "LOAD", null, moved, null],
      ],
    );
    assertEquals(
      JSON.parse(await dpo(["--format", "json", "log", "new"])).changes[0].renamed_from,
      "old",
    );
    // Another step name, another pipeline, an unknown model: no history, a warning, exit 0.
    assertEquals(
      JSON.parse(await dpo(["--format", "json", "log", "a", "--step", "x"])).changes,
      [],
    );
    const unknown = await runDpo([...store.args, "--pipeline", "other", "log", "a"]);
    assertEquals([unknown.code, unknown.stdout], [0, ""]);
    assertEquals(
      unknown.stderr.replace(/^.* - dpo - /, ""),
      'WARNING - Model "a" is in no step of pipeline "other": check its name (without the extension)\n',
    );
  });
}
