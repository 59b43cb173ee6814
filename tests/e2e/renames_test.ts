/**
 * Issue 17: a model whose file moved under a new name with the same content is reported as
 * renamed (`R old new`) by `compare-step-models --name-status`, `diff` and their JSON, when the
 * pairing is unambiguous; the plain output still lists it as new. PostgreSQL and SQLite.
 */
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { dpoOk } from "../helpers/cli.ts";
import { temporaryFolder, writeModels } from "../helpers/model_tree.ts";
import { openStoreUnderTest, STORE_KINDS } from "../helpers/pipeline.ts";

for (const kind of STORE_KINDS) {
  Deno.test(`${kind}: a moved model is renamed when one deleted and one added share its checksum`, async () => {
    await using store = await openStoreUnderTest(kind);
    await using models = await temporaryFolder();
    const dpo = (args: string[]) => dpoOk([...store.args, ...args]);
    const root = models.path;
    await writeModels(root, {
      "old.sql": "select 'moved';\n",
      "twin_a.sql": "select 'twin';\n",
      "keep.sql": "select 'keep';\n",
      "edit.sql": "select 1;\n",
      "gone.sql": "select 'gone';\n",
    });
    const first = await dpo(["init-execution"]);
    const step1 = await dpo(["init-step", first, "LOAD", root, "*.sql"]);
    await dpo(["complete-execution", first]);

    await Deno.remove(`${root}/old.sql`);
    await Deno.remove(`${root}/gone.sql`);
    await writeModels(root, {
      "new.sql": "select 'moved';\n",
      // Two added copies of a deleted model's content: which one moved is unknown.
      "twin_b.sql": "select 'twin';\n",
      "twin_c.sql": "select 'twin';\n",
      "edit.sql": "select 2;\n",
    });
    await Deno.remove(`${root}/twin_a.sql`);
    const second = await dpo(["init-execution"]);
    const step2 = await dpo(["init-step", second, "LOAD", root, "*.sql"]);

    // The seed's output: a renamed model is new, as the Python tool listed it.
    assertEquals(await dpo(["compare-step-models", step2, first]), "edit new twin_b twin_c");
    assertEquals(
      await dpo(["compare-step-models", step2, first, "--name-status"]),
      ["M edit", "D gone", "R old new", "D twin_a", "A twin_b", "A twin_c"].join("\n"),
    );
    const changes = {
      changed: ["edit", "new", "twin_b", "twin_c"],
      added: ["twin_b", "twin_c"],
      modified: ["edit"],
      deleted: ["gone", "twin_a"],
      renamed: [{ from: "old", to: "new" }],
      unchanged: 1,
    };
    assertEquals(
      JSON.parse(await dpo(["--format", "json", "compare-step-models", step2, first])),
      { step_id: step2, previous_execution_id: first, ...changes },
    );
    assertEquals(
      await dpo(["diff", first, second]),
      ["M LOAD/edit", "D LOAD/gone", "R LOAD/old LOAD/new", "D LOAD/twin_a", "A LOAD/twin_b"]
        .concat("A LOAD/twin_c").join("\n"),
    );
    assertEquals(JSON.parse(await dpo(["--format", "json", "diff", first, second])), {
      from_execution_id: first,
      to_execution_id: second,
      steps: [{ step_name: "LOAD", ...changes }],
    });
    // Backwards the rename is undone: new was deleted, old added with its checksum.
    assertEquals(
      await dpo(["diff", second, first]),
      ["M LOAD/edit", "A LOAD/gone", "R LOAD/new LOAD/old", "A LOAD/twin_a", "D LOAD/twin_b"]
        .concat("D LOAD/twin_c").join("\n"),
    );
    assertEquals(step1 === step2, false);
  });
}
