/**
 * Hostile and odd input through the CLI, beyond what errors_test.ts covers: names that look like
 * SQL or hold quotes, control characters and non-ASCII text, names that are not UTF-8, symbolic
 * link loops and dangling links, unreadable folders, model names at the column's limit, no
 * matching file, and row counts at and past a bigint's edges. Each is either stored exactly or
 * refused with one clear line and nothing written.
 */
import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { createHash } from "node:crypto";
import { runDpo } from "../helpers/cli.ts";
import { temporaryFolder, writeModels } from "../helpers/model_tree.ts";
import {
  assertCleanFailure,
  FILE_MODES_UNBINDABLE,
  openStoreUnderTest,
  runDpoBoundByFileModes,
  snapshotTables,
  STORE_KINDS,
  type StoreUnderTest,
} from "../helpers/pipeline.ts";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const SQL_LOOKALIKE = "'; DROP TABLE dpo.execution; --";

/**
 * Model names, each a file `<name>.sql`, in code-point order: the order dpo must print. UTF-16
 * order puts the emoji (a surrogate pair, 0xD83D…) before the fullwidth "ｚ" (0xFF5A); an ICU
 * collation, as the PostgreSQL test database uses, puts "_x" first and "é" beside "e".
 */
const ODD_MODELS = [
  SQL_LOOKALIKE,
  "Robert'); DELETE FROM dpo.execution_step_model; --",
  "Z",
  "_x",
  "a b",
  "a,b",
  "back\\slash",
  'dq"uote',
  "e",
  "new\nline",
  "q'uote",
  "tab\there",
  "é",
  "ｚ",
  "😀",
];

function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/** The store's commands, each asserted to exit 0 with nothing but INFO logs on stderr. */
function cliOn(store: StoreUnderTest) {
  const ok = async (args: string[]): Promise<string> => {
    const result = await runDpo([...store.args, ...args]);
    assertEquals(result.code, 0, `dpo ${args.join(" ")}: ${result.stderr}`);
    const unexpected = result.stderr.split("\n").filter((l) => l && !/ - dpo - INFO - /.test(l));
    assertEquals(unexpected, [], `dpo ${args.join(" ")} logged more than INFO`);
    return result.stdout.replace(/\n$/, "");
  };
  return {
    run: (args: string[]) => runDpo([...store.args, ...args]),
    ok,
    json: async (args: string[]) => JSON.parse(await ok([...args, "--format", "json"])),
  };
}

/** The models stored for a step, as `name=checksum`, in code-point order ("C" collation). */
async function storedModels(store: StoreUnderTest, stepId: string): Promise<string[]> {
  const rows = await store.rows(
    `SELECT model_name || '=' || checksum AS model FROM dpo.execution_step_model
     WHERE execution_step_id = '${stepId}' ORDER BY model_name COLLATE "C"`,
  );
  return rows.map((row) => String(row.model));
}

for (const kind of STORE_KINDS) {
  Deno.test(`on ${kind} names that look like SQL or hold quotes, control characters and emoji are stored exactly and listed in code-point order`, async () => {
    await using store = await openStoreUnderTest(kind);
    await using models = await temporaryFolder();
    const dpo = cliOn(store);
    const contents = Object.fromEntries(ODD_MODELS.map((name) => [name, `select '${name}';\n`]));
    await writeModels(
      models.path,
      Object.fromEntries(ODD_MODELS.map((name) => [`${name}.sql`, contents[name]])),
    );

    const first = await dpo.ok(["init-execution"]);
    const step1 = await dpo.json(["init-step", first, SQL_LOOKALIKE, models.path, "*.sql"]);
    assertEquals(
      [step1.step_name, step1.models],
      ["'; DROP TABLE DPO.EXECUTION; --", ODD_MODELS.length],
    );
    assertEquals(
      await storedModels(store, step1.step_id),
      ODD_MODELS.map((name) => `${name}=${sha256(contents[name])}`),
    );
    // The default text output is the names joined by " " in code-point order, as stored;
    // --separator chooses another text between them.
    assertEquals(await dpo.ok(["compare-step-models", step1.step_id, ""]), ODD_MODELS.join(" "));
    assertEquals(
      await dpo.ok(["compare-step-models", step1.step_id, "", "--separator", ","]),
      ODD_MODELS.join(","),
    );
    await dpo.ok(["complete-step", step1.step_id, "-r", "1"]);
    await dpo.ok(["complete-execution", first]);

    // The second run changes two models, deletes one and adds one whose name also looks like SQL.
    const added = "x'); DROP SCHEMA dpo CASCADE; --";
    await Deno.writeTextFile(`${models.path}/${SQL_LOOKALIKE}.sql`, "select 'changed';\n");
    await Deno.writeTextFile(`${models.path}/😀.sql`, "select 'changed';\n");
    await Deno.remove(`${models.path}/tab\there.sql`);
    await Deno.writeTextFile(`${models.path}/${added}.sql`, "select 'added';\n");
    const previous = await dpo.ok(["get-last-successful-execution"]);
    assertEquals(previous, first);
    const second = await dpo.ok(["init-execution"]);
    // The step is found again by its name, given in another case.
    const step2 = await dpo.ok([
      "init-step",
      second,
      SQL_LOOKALIKE.toLowerCase(),
      models.path,
      "*.sql",
    ]);
    assertEquals(await dpo.json(["compare-step-models", step2, previous]), {
      step_id: step2,
      previous_execution_id: first,
      changed: [SQL_LOOKALIKE, added, "😀"],
      added: [added],
      modified: [SQL_LOOKALIKE, "😀"],
      deleted: ["tab\there"],
      renamed: [],
      unchanged: ODD_MODELS.length - 3,
    });
    assertEquals(
      await dpo.ok(["compare-models", previous, second, SQL_LOOKALIKE]),
      [SQL_LOOKALIKE, added, "😀"].join(" "),
    );
    // dpo's tables are all still there, each with the rows of the two runs.
    assertEquals(
      await store.rows(
        `SELECT CAST((SELECT count(*) FROM dpo.execution) AS integer) AS executions,
          CAST((SELECT count(*) FROM dpo.execution_step) AS integer) AS steps,
          CAST((SELECT count(*) FROM dpo.execution_step_model) AS integer) AS models`,
      ),
      [{ executions: 2, steps: 2, models: 2 * ODD_MODELS.length }],
    );
  });
}

Deno.test("step names with spaces and quotes are stored upper-case and found again in any case", async () => {
  await using store = await openStoreUnderTest("PostgreSQL");
  await using models = await temporaryFolder();
  const dpo = cliOn(store);
  await writeModels(models.path, { "a.sql": "select 1;\n" });
  const stepName = `load "raw" data's  step`;
  const executionId = await dpo.ok(["init-execution"]);
  const step = await dpo.json(["init-step", executionId, stepName, models.path, "*.sql"]);
  assertEquals(step.step_name, `LOAD "RAW" DATA'S  STEP`);
  assertEquals(await dpo.ok(["compare-models", "", executionId, stepName]), "a");
  assertEquals(
    await store.rows(`SELECT step_name FROM dpo.execution_step`),
    [{ step_name: `LOAD "RAW" DATA'S  STEP` }],
  );
});

/** A store with one open execution, and how to run init-step in it. */
async function openExecution() {
  const store = await openStoreUnderTest("PostgreSQL");
  const dpo = cliOn(store);
  const executionId = await dpo.ok(["init-execution"]);
  return {
    store,
    dpo,
    executionId,
    initStep: (basePath: string, ...patterns: string[]) =>
      dpo.run(["init-step", executionId, "LOAD", basePath, ...patterns]),
    snapshot: () => snapshotTables((query) => store.rows(query)),
    [Symbol.asyncDispose]: () => store[Symbol.asyncDispose](),
  };
}

/**
 * Creates `<folder>/<name>` with `printf %b`, so that `\xff`-style escapes in `name` become
 * raw bytes no UTF-8 text holds: a model file, or a folder holding one (`m.sql`).
 */
async function createWithRawName(folder: string, name: string, kind: "file" | "folder") {
  const script = `name=$(printf '%b' "$2")
    if [ "$3" = folder ]; then mkdir "$1/$name"; set -- "$1/$name/m.sql"; else set -- "$1/$name"; fi
    printf 'select 1;\\n' > "$1"`;
  const output = await new Deno.Command("bash", {
    args: ["-c", script, "bash", folder, name, kind],
    stdin: "null",
    stderr: "piped",
  }).output();
  if (!output.success) throw new Error(new TextDecoder().decode(output.stderr));
}

Deno.test("a file or folder name that is not valid UTF-8 is refused with one line when a pattern reaches it, and nothing is written", async () => {
  await using execution = await openExecution();
  await using models = await temporaryFolder();
  await writeModels(models.path, { "file/ok.sql": "select 1;\n", "folder/ok.sql": "select 1;\n" });
  await createWithRawName(`${models.path}/file`, "\\xff\\xfe.sql", "file");
  await createWithRawName(`${models.path}/folder`, "\\xffdir", "folder");
  // Beside a real "\uFFFD.sql", a non-UTF-8 "\xfe.sql" reads as the same name, and looking it
  // up by that name finds the real file: only the two entries of one listing tell.
  await writeModels(models.path, {
    "twin/\uFFFD.sql": "select 1;\n",
    "twin/ok.sql": "select 1;\n",
  });
  await createWithRawName(`${models.path}/twin`, "\\xfe.sql", "file");
  const before = await execution.snapshot();

  assertCleanFailure(
    await execution.initStep(`${models.path}/file`, "*.sql"),
    1,
    /^error: Model file "\uFFFD\uFFFD\.sql" has a name that is not valid UTF-8 \(\uFFFD marks the bad bytes\): rename it, model names are stored as UTF-8 text$/,
  );
  // A folder dpo cannot enter would hide its models: refused too, not skipped.
  assertCleanFailure(
    await execution.initStep(`${models.path}/folder`, "**/*.sql"),
    1,
    /^error: Folder "\uFFFDdir" has a name that is not valid UTF-8 \(\uFFFD marks the bad bytes\): rename it, dpo cannot read the files in it$/,
  );
  assertCleanFailure(
    await execution.initStep(`${models.path}/twin`, "*.sql"),
    1,
    /^error: One of two entries read as "\uFFFD\.sql" has a name that is not valid UTF-8 \(\uFFFD marks the bad bytes\): rename it, dpo cannot tell them apart$/,
  );
  assertEquals(await execution.snapshot(), before);

  // Patterns that do not reach the odd names are unaffected by them.
  for (const [folder, pattern] of [["file", "ok.sql"], ["folder", "*.sql"], ["twin", "ok.sql"]]) {
    const result = await execution.initStep(`${models.path}/${folder}`, pattern);
    assertEquals([result.code, result.stderr], [0, ""]);
    assertEquals(await storedModels(execution.store, result.stdout.trim()), [
      `ok=${sha256("select 1;\n")}`,
    ]);
  }
});

Deno.test("a folder symlinked to its parent ends the crawl and each real file counts once; a loop of file links is refused", async () => {
  await using execution = await openExecution();
  await using models = await temporaryFolder();
  await writeModels(models.path, {
    "a.sql": "a\n",
    "sub/b.sql": "b\n",
    "sub/deeper/c.sql": "c\n",
  });
  await Deno.symlink("..", `${models.path}/sub/deeper/up`);
  await Deno.symlink(models.path, `${models.path}/sub/root`);
  await Deno.symlink(".", `${models.path}/self`);

  const result = await execution.initStep(models.path, "**/*.sql", "**/**/*.sql");
  assertEquals([result.code, result.stderr], [0, ""]);
  const stepId = result.stdout.trim();
  assertEquals(await storedModels(execution.store, stepId), [
    `a=${sha256("a\n")}`,
    `b=${sha256("b\n")}`,
    `c=${sha256("c\n")}`,
  ]);

  await Deno.symlink("loop-b.sql", `${models.path}/sub/loop-a.sql`);
  await Deno.symlink("loop-a.sql", `${models.path}/sub/loop-b.sql`);
  const before = await execution.snapshot();
  assertCleanFailure(
    await execution.initStep(models.path, "**/*.sql"),
    1,
    /^error: Model file "sub\/loop-a\.sql" is a symbolic link to "loop-b\.sql" that cannot be resolved \(a loop of symbolic links\): fix or remove the link$/,
  );
  assertEquals(await execution.snapshot(), before);
});

Deno.test("a dangling symlink a pattern matches is refused with one line; one no pattern matches is ignored", async () => {
  await using execution = await openExecution();
  await using models = await temporaryFolder();
  await writeModels(models.path, { "a.sql": "a\n", "sub/b.sql": "b\n" });
  await Deno.symlink("gone.sql", `${models.path}/sub/orders.sql`);
  await Deno.symlink("gone.md", `${models.path}/sub/notes.txt`);
  const before = await execution.snapshot();

  for (const pattern of ["**/*.sql", "sub/orders.sql", "sub/*.sql"]) {
    assertCleanFailure(
      await execution.initStep(models.path, pattern),
      1,
      /^error: Model file "sub\/orders\.sql" is a symbolic link to "gone\.sql", which does not exist: fix or remove the link$/,
    );
  }
  assertEquals(await execution.snapshot(), before);
  const result = await execution.initStep(models.path, "*.sql", "sub/b.sql", "**/*.md");
  assertEquals([result.code, result.stderr], [0, ""]);
  assertEquals(await storedModels(execution.store, result.stdout.trim()), [
    `a=${sha256("a\n")}`,
    `b=${sha256("b\n")}`,
  ]);
});

Deno.test({
  name: "a folder that cannot be listed is refused when a pattern reaches into it, not skipped",
  ignore: FILE_MODES_UNBINDABLE !== undefined,
}, async () => {
  await using execution = await openExecution();
  await using models = await temporaryFolder();
  await writeModels(models.path, { "a.sql": "a\n", "locked/secret.sql": "s\n" });
  await Deno.chmod(`${models.path}/locked`, 0o000);
  const before = await execution.snapshot();
  const run = (...patterns: string[]) =>
    runDpoBoundByFileModes([
      ...execution.store.args,
      "init-step",
      execution.executionId,
      "LOAD",
      models.path,
      ...patterns,
    ]);
  try {
    const refused = await run("**/*.sql");
    assertCleanFailure(
      refused,
      1,
      new RegExp(
        `^error: Cannot list folder "locked" under base path "${models.path}": permission denied$`,
      ),
    );
    assertEquals(await execution.snapshot(), before);
    // A pattern that does not reach into the folder never needs to list it.
    const outside = await run("*.sql");
    assertEquals([outside.code, outside.stderr], [0, ""]);
  } finally {
    await Deno.chmod(`${models.path}/locked`, 0o755);
  }
});

Deno.test("a model name of 250 characters is stored whole, one of 251 is refused and nothing is written", async () => {
  await using execution = await openExecution();
  await using models = await temporaryFolder();
  // 251 + ".sql" is 255 bytes, the longest file name Linux allows.
  const longest = "m".repeat(250), tooLong = "n".repeat(251);
  await writeModels(models.path, {
    [`fits/${longest}.sql`]: "select 1;\n",
    [`over/${tooLong}.sql`]: "select 1;\n",
  });
  const fits = await execution.initStep(`${models.path}/fits`, "*.sql");
  assertEquals([fits.code, fits.stderr], [0, ""]);
  assertEquals(await storedModels(execution.store, fits.stdout.trim()), [
    `${longest}=${sha256("select 1;\n")}`,
  ]);
  const before = await execution.snapshot();
  assertCleanFailure(
    await execution.initStep(`${models.path}/over`, "*.sql"),
    2,
    new RegExp(`^error: Model name of "${tooLong}\\.sql" is longer than 250 characters: rename`),
  );
  assertEquals(await execution.snapshot(), before);
});

Deno.test("no matching file is a warning on stderr, an empty step and exit code 0", async () => {
  await using execution = await openExecution();
  await using models = await temporaryFolder();
  await writeModels(models.path, { "notes.txt": "not a model\n" });
  // Patterns through a folder that does not exist, or through a file, match nothing either.
  const result = await execution.initStep(
    models.path,
    "**/*.sql",
    "*.csv",
    "missing/**/*.sql",
    "notes.txt/*.sql",
  );
  assertEquals(result.code, 0, result.stderr);
  assert(UUID.test(result.stdout.trim()), result.stdout);
  const stepId = result.stdout.trim();
  const warnings = result.stderr.trimEnd().split("\n");
  assertEquals(warnings.length, 1, result.stderr);
  assert(
    warnings[0].endsWith(
      ` - dpo - WARNING - No model file under "${models.path}" matches "**/*.sql", "*.csv", ` +
        '"missing/**/*.sql", "notes.txt/*.sql": the step is recorded without models',
    ),
    warnings[0],
  );
  assertEquals(await storedModels(execution.store, stepId), []);
  assertEquals(
    await execution.store.rows(
      `SELECT step_name, status FROM dpo.execution_step WHERE execution_step_id = '${stepId}'`,
    ),
    [{ step_name: "LOAD", status: "IN_PROGRESS" }],
  );
  assertEquals(
    await execution.dpo.run(["compare-step-models", stepId, ""]),
    { code: 0, stdout: "\n", stderr: "" },
  );
  await execution.dpo.ok(["complete-step", stepId, "-r", "0"]);
});

Deno.test("rows-processed is stored exactly at a bigint's edges and refused in every other form", async (t) => {
  await using execution = await openExecution();
  await using models = await temporaryFolder();
  await writeModels(models.path, { "a.sql": "select 1;\n" });
  const newStep = () =>
    execution.dpo.ok(["init-step", execution.executionId, "S", models.path, "*"]);

  for (const [given, stored] of [["0", "0"], ["9223372036854775807", "9223372036854775807"]]) {
    await t.step(`-r ${given} is stored as ${stored}`, async () => {
      const stepId = await newStep();
      const completed = await execution.dpo.run([
        "complete-step",
        stepId,
        "-r",
        given,
        "--format",
        "json",
      ]);
      assertEquals(completed.code, 0, completed.stderr);
      // Printed as a JSON number without passing through a float.
      assert(completed.stdout.includes(`"rows_processed":${stored}}`), completed.stdout);
      assertEquals(
        await execution.store.rows(
          `SELECT CAST(rows_processed AS text) AS rows FROM dpo.execution_step
           WHERE execution_step_id = '${stepId}'`,
        ),
        [{ rows: stored }],
      );
    });
  }

  const stepId = await newStep();
  const before = await execution.snapshot();
  const refused: [string, RegExp][] = [
    ["1E3", /is not a whole number/],
    ["2.5e2", /is not a whole number/],
    ["1e+19", /is not a whole number/],
    ["-9223372036854775808", /is negative: give 0 or more$/],
    ["-0.5", /is not a whole number/],
    ["10.0", /is not a whole number/],
    [".5", /is not a whole number/],
    ["0x10", /is not a whole number/],
    ["1_000", /is not a whole number/],
    ["１２", /is not a whole number/],
    ["Infinity", /is not a whole number/],
    ["", /is not a whole number/],
    ["9".repeat(40), /is larger than a PostgreSQL bigint: give at most 9223372036854775807$/],
  ];
  for (const [rows, message] of refused) {
    await t.step(`-r "${rows}" exits 2`, async () => {
      const result = await execution.dpo.run(["complete-step", stepId, `--rows-processed=${rows}`]);
      assertCleanFailure(result, 2, new RegExp(`^error: Rows processed "${escapeRegExp(rows)}" `));
      assert(message.test(result.stderr.trimEnd()), result.stderr);
      assertEquals(await execution.snapshot(), before);
    });
  }
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
