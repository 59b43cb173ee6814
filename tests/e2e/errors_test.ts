/**
 * Every error the contract names, through the CLI: exit code 2 for usage and 1 for failures,
 * nothing on stdout, one `error: ` line on stderr without a stack, and nothing written.
 */
import {
  deepStrictEqual as assertEquals,
  match as assertMatch,
  ok as assert,
} from "node:assert/strict";
import { type CliOptions, dpoOk, runDpo } from "../helpers/cli.ts";
import { temporaryFolder, writeModels } from "../helpers/model_tree.ts";
import {
  createTestDatabase,
  databaseUrl,
  serverSettings,
  type TestDatabase,
} from "../helpers/postgres_server.ts";
import {
  assertCleanFailure,
  FILE_MODES_UNBINDABLE,
  runDpoBoundByFileModes,
  snapshotTables,
} from "../helpers/pipeline.ts";

const UNKNOWN_ID = "00000000-0000-4000-8000-000000000000";

interface FailureCase {
  name: string;
  args: string[];
  code: 1 | 2;
  message: RegExp;
}

/** A test database after `dpo db upgrade`. */
async function upgradedDatabase(): Promise<TestDatabase> {
  const db = await createTestDatabase();
  await dpoOk([db.url, "db", "upgrade"]);
  return db;
}

/** Runs each case as a step and checks that dpo's tables are as they were before it. */
async function assertFailuresWriteNothing(
  t: Deno.TestContext,
  db: TestDatabase,
  cases: FailureCase[],
): Promise<void> {
  const rows = async (query: string) => [...await db.sql.unsafe(query)];
  const before = await snapshotTables(rows);
  for (const failure of cases) {
    await t.step(failure.name, async () => {
      assertCleanFailure(await runDpo([db.url, ...failure.args]), failure.code, failure.message);
      assertEquals(await snapshotTables(rows), before);
    });
  }
}

/** A closed port on the loopback interface: nothing listens there. */
function closedPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

Deno.test("every command given a malformed UUID exits 2 and writes nothing", async (t) => {
  await using db = await upgradedDatabase();
  await using models = await temporaryFolder();
  await writeModels(models.path, { "a.sql": "select 1;\n" });
  const executionId = await dpoOk([db.url, "init-execution"]);
  const stepId = await dpoOk([db.url, "init-step", executionId, "LOAD", models.path, "*.sql"]);
  const invalid = (what: string, value: string) =>
    new RegExp(`^error: ${what} "${value}" is not a valid UUID: use an id printed by`);

  await assertFailuresWriteNothing(t, db, [
    {
      name: "init-execution --execution-id",
      args: ["init-execution", "--execution-id", "not-a-uuid"],
      code: 2,
      message: invalid("Execution id", "not-a-uuid"),
    },
    {
      name: "init-execution -id",
      args: ["init-execution", "-id", "1234"],
      code: 2,
      message: invalid("Execution id", "1234"),
    },
    {
      name: "get-execution-completion-timestamp",
      args: ["get-execution-completion-timestamp", `${executionId}x`],
      code: 2,
      message: invalid("Execution id", `${executionId}x`),
    },
    {
      name: "init-step",
      args: ["init-step", "g0000000-0000-4000-8000-000000000000", "LOAD", models.path, "*.sql"],
      code: 2,
      message: invalid("Execution id", "g0000000-0000-4000-8000-000000000000"),
    },
    {
      name: "compare-step-models, the step id",
      args: ["compare-step-models", "step", ""],
      code: 2,
      message: invalid("Step id", "step"),
    },
    {
      name: "compare-step-models, the previous execution id",
      args: ["compare-step-models", stepId, "LAST"],
      code: 2,
      message: invalid("Previous execution id", "LAST"),
    },
    {
      name: "complete-step",
      args: ["complete-step", "12345678-1234-1234-1234-1234567890", "-r", "1"],
      code: 2,
      message: invalid("Step id", "12345678-1234-1234-1234-1234567890"),
    },
    {
      name: "compare-models, the previous execution id",
      args: ["compare-models", "previous", executionId, "load"],
      code: 2,
      message: invalid("Previous execution id", "previous"),
    },
    {
      name: "compare-models, the execution id",
      args: ["compare-models", "", "current", "load"],
      code: 2,
      message: invalid("Execution id", "current"),
    },
    {
      name: "complete-execution",
      args: ["complete-execution", "{}"],
      code: 2,
      message: invalid("Execution id", "\\{\\}"),
    },
  ]);
});

Deno.test("ids that are unknown, already used or completed fail with exit code 1 and write nothing", async (t) => {
  await using db = await upgradedDatabase();
  await using models = await temporaryFolder();
  await writeModels(models.path, { "a.sql": "select 1;\n" });
  const completedId = await dpoOk([db.url, "init-execution"]);
  const stepId = await dpoOk([db.url, "init-step", completedId, "LOAD", models.path, "*.sql"]);
  await dpoOk([db.url, "complete-execution", completedId]);
  const unknownExecution = new RegExp(
    `^error: Execution "${UNKNOWN_ID}" does not exist: use an id printed by init-execution$`,
  );
  const unknownStep = new RegExp(
    `^error: Step "${UNKNOWN_ID}" does not exist: use an id printed by init-step$`,
  );

  await assertFailuresWriteNothing(t, db, [
    {
      name: "get-execution-completion-timestamp of an unknown execution",
      args: ["get-execution-completion-timestamp", UNKNOWN_ID],
      code: 1,
      message: unknownExecution,
    },
    {
      name: "init-step in an unknown execution",
      args: ["init-step", UNKNOWN_ID, "LOAD", models.path, "*.sql"],
      code: 1,
      message: unknownExecution,
    },
    {
      name: "compare-step-models of an unknown step",
      args: ["compare-step-models", UNKNOWN_ID, ""],
      code: 1,
      message: unknownStep,
    },
    {
      name: "compare-step-models against an unknown previous execution",
      args: ["compare-step-models", stepId, UNKNOWN_ID],
      code: 1,
      message: unknownExecution,
    },
    {
      name: "complete-step of an unknown step",
      args: ["complete-step", UNKNOWN_ID],
      code: 1,
      message: unknownStep,
    },
    {
      name: "complete-execution of an unknown execution",
      args: ["complete-execution", UNKNOWN_ID],
      code: 1,
      message: unknownExecution,
    },
    {
      name: "init-execution with an id already used",
      args: ["init-execution", "--execution-id", completedId.toUpperCase()],
      code: 1,
      message: new RegExp(
        `^error: Execution "${completedId}" already exists: give a new id or omit --execution-id$`,
      ),
    },
    {
      name: "init-step in a completed execution",
      args: ["init-step", completedId, "TRANSFORM", models.path, "*.sql"],
      code: 1,
      message: new RegExp(`^error: Execution "${completedId}" is already completed`),
    },
  ]);
});

Deno.test("init-step refuses bad base paths, patterns and model files and writes nothing", async (t) => {
  await using db = await upgradedDatabase();
  await using models = await temporaryFolder();
  await writeModels(models.path, {
    "ok/a.sql": "select 1;\n",
    "twins/one/m.sql": "select 1;\n",
    "twins/two/m.csv": "m\n",
  });
  const executionId = await dpoOk([db.url, "init-execution"]);
  const initStep = (basePath: string, ...patterns: string[]) => [
    "init-step",
    executionId,
    "LOAD",
    basePath,
    ...patterns,
  ];

  await assertFailuresWriteNothing(t, db, [
    {
      name: "a base path that does not exist",
      args: initStep(`${models.path}/missing`, "*.sql"),
      code: 1,
      message: /^error: Base path ".*\/missing" does not exist: give the folder/,
    },
    {
      name: "a base path that is a file",
      args: initStep(`${models.path}/ok/a.sql`, "*.sql"),
      code: 1,
      message: /^error: Base path ".*\/ok\/a\.sql" is not a folder: give the folder/,
    },
    {
      name: "two files giving one model name",
      args: initStep(`${models.path}/twins`, "**/*.sql", "**/*.csv"),
      code: 1,
      message: /^error: Model "m" is given by two files, "one\/m\.sql" and "two\/m\.csv": /,
    },
    {
      name: "an absolute pattern",
      args: initStep(`${models.path}/ok`, "*.sql", `${models.path}/ok/*.sql`),
      code: 2,
      message: /^error: Model pattern "\/.*" is absolute: give patterns relative to base-path$/,
    },
    {
      name: "a pattern climbing out with ..",
      args: initStep(`${models.path}/ok`, "../twins/**/*.sql"),
      code: 2,
      message: /^error: Model pattern "\.\.\/twins\/\*\*\/\*\.sql" climbs out of base-path/,
    },
  ]);

  // The Python tool left a failed init-step's execution IN_PROGRESS; dpo leaves it untouched.
  const statuses = await db
    .sql`select status from dpo.execution where execution_id = ${executionId}`;
  assertEquals(statuses.map((row) => row.status), ["INITIALISED"]);
});

Deno.test({
  name: "init-step refuses a model file it cannot read and writes nothing",
  ignore: FILE_MODES_UNBINDABLE !== undefined,
  async fn() {
    await using db = await upgradedDatabase();
    await using models = await temporaryFolder();
    await writeModels(models.path, {
      "locked/readable.sql": "select 1;\n",
      "locked/secret.sql": "select 2;\n",
    });
    await Deno.chmod(`${models.path}/locked/secret.sql`, 0o000);
    const executionId = await dpoOk([db.url, "init-execution"]);
    const before = await snapshotTables(async (query) => [...await db.sql.unsafe(query)]);
    const unreadable = await runDpoBoundByFileModes([
      db.url,
      "init-step",
      executionId,
      "LOAD",
      `${models.path}/locked`,
      "*.sql",
    ]);
    assertCleanFailure(
      unreadable,
      1,
      /^error: Cannot read model file "secret\.sql": permission denied$/,
    );
    assertEquals(
      await snapshotTables(async (query) => [...await db.sql.unsafe(query)]),
      before,
    );
  },
});

Deno.test("complete-step rejects row counts that are not a PostgreSQL bigint and writes nothing", async (t) => {
  await using db = await upgradedDatabase();
  await using models = await temporaryFolder();
  await writeModels(models.path, { "a.sql": "select 1;\n" });
  const executionId = await dpoOk([db.url, "init-execution"]);
  const stepId = await dpoOk([db.url, "init-step", executionId, "LOAD", models.path, "*.sql"]);
  const rowsCase = (rows: string, message: RegExp): FailureCase => ({
    name: `-r ${rows}`,
    args: ["complete-step", stepId, "-r", rows],
    code: 2,
    message,
  });

  await assertFailuresWriteNothing(t, db, [
    rowsCase("-1", /^error: Rows processed "-1" is negative: give 0 or more$/),
    rowsCase("1.5", /^error: Rows processed "1\.5" is not a whole number/),
    rowsCase("1e3", /^error: Rows processed "1e3" is not a whole number/),
    rowsCase(
      "9223372036854775808",
      /^error: Rows processed "9223372036854775808" is larger than a PostgreSQL bigint: give at most 9223372036854775807$/,
    ),
  ]);
});

Deno.test("an unreachable server, a wrong password and a missing database each get their own error without the password", async (t) => {
  const server = serverSettings();
  const wrongPassword = `Wr0ng-${crypto.randomUUID()}`;
  const assertNoPassword = (result: { stdout: string; stderr: string }, password: string) => {
    assert(!result.stdout.includes(password), "the password on stdout");
    assert(!result.stderr.includes(password), `the password on stderr: ${result.stderr}`);
    assert(!result.stderr.includes(encodeURIComponent(password)), "the encoded password");
  };

  await t.step(
    "a closed port: connection refused, after retrying for --connect-timeout",
    async () => {
      const url = `postgresql://dpo:${wrongPassword}@127.0.0.1:${closedPort()}/dpo`;
      const refused = /^error: Cannot connect to PostgreSQL at .*: connection refused;/;
      const args = [url, "--connect-timeout", "0.3", "get-last-successful-execution"];
      const quiet = await runDpo(["--log-level", "ERROR", ...args]);
      assertCleanFailure(quiet, 1, refused);
      assertNoPassword(quiet, wrongPassword);
      // At the default level, the retries may be announced by WARNING lines before the error.
      const result = await runDpo(args);
      assertEquals([result.code, result.stdout], [1, ""]);
      const lines = result.stderr.trimEnd().split("\n");
      assertMatch(lines.pop()!, refused);
      for (const line of lines) assertMatch(line, / - dpo - WARNING - .*retrying/);
      assertNoPassword(result, wrongPassword);
    },
  );

  const wrongUrl = databaseUrl("postgres", { user: server.user, password: wrongPassword });
  const namings: { name: string; args: string[]; options?: CliOptions }[] = [
    { name: "before the command", args: [wrongUrl] },
    { name: "by --db", args: ["--db", wrongUrl] },
    { name: "by DPO_DATABASE_URL", args: [], options: { env: { DPO_DATABASE_URL: wrongUrl } } },
    {
      name: "by PGPASSWORD",
      args: [`postgresql://${server.user}@${server.host}:${server.port}/postgres`],
      options: { env: { PGPASSWORD: wrongPassword } },
    },
  ];
  for (const naming of namings) {
    await t.step(`a wrong password given ${naming.name}`, async () => {
      const result = await runDpo(
        [...naming.args, "get-last-successful-execution"],
        naming.options,
      );
      assertCleanFailure(result, 1, /^error: Password authentication failed at /);
      assertNoPassword(result, wrongPassword);
      const debug = await runDpo(
        [...naming.args, "--log-level", "DEBUG", "get-last-successful-execution"],
        naming.options,
      );
      assertEquals([debug.code, debug.stdout], [1, ""]);
      assertMatch(debug.stderr, /error: .*Password authentication failed at /);
      assertNoPassword(debug, wrongPassword);
    });
  }

  await t.step("a database that does not exist", async () => {
    const missing = `dpo_missing_${Date.now().toString(36)}`;
    const result = await runDpo([databaseUrl(missing), "get-last-successful-execution"]);
    assertCleanFailure(
      result,
      1,
      new RegExp(`^error: Database "${missing}" does not exist at .*: create it or fix the URL$`),
    );
    assertNoPassword(result, server.password);
  });
});

Deno.test("a database without dpo's schema says to run dpo db upgrade and is left as it was", async () => {
  await using db = await createTestDatabase();
  for (
    const args of [
      ["init-execution"],
      ["get-last-successful-execution"],
      ["complete-execution", UNKNOWN_ID],
    ]
  ) {
    assertCleanFailure(
      await runDpo([db.url, ...args]),
      1,
      /^error: The dpo schema is missing or incomplete in .*: run "dpo db upgrade"$/,
    );
  }
  const [{ schema }] = await db.sql`select to_regnamespace('dpo')::text as schema`;
  assertEquals(schema, null);
});

Deno.test("an unknown command, a missing argument or a bad --log-level is a usage error with exit code 2", async (t) => {
  // Nothing listens at this URL: a usage error must be reported before any connection.
  const nowhere = `postgresql://dpo:secret@127.0.0.1:${closedPort()}/dpo`;
  const cases: FailureCase[] = [
    {
      name: "an unknown command",
      args: ["frobnicate"],
      code: 2,
      message: /^error: unknown command 'frobnicate'/,
    },
    {
      name: "an unknown command after a database URL",
      args: [nowhere, "frobnicate"],
      code: 2,
      message: /^error: unknown command 'frobnicate'/,
    },
    {
      name: "a missing argument",
      args: [nowhere, "init-step", UNKNOWN_ID, "LOAD"],
      code: 2,
      message: /^error: missing required argument 'base-path'/,
    },
    {
      name: "a missing id",
      args: [nowhere, "complete-step", "-r", "5"],
      code: 2,
      message: /^error: missing required argument 'step-id'/,
    },
    {
      name: "a bad --log-level before the command",
      args: ["--log-level", "LOUD", nowhere, "get-last-successful-execution"],
      code: 2,
      message:
        /^error: Log level "LOUD" is not known: choose one of CRITICAL, ERROR, WARNING, INFO, DEBUG$/,
    },
    {
      name: "a prefix of two options",
      args: [nowhere, "compare-step-models", UNKNOWN_ID, "", "--s", ","],
      code: 2,
      message: /^error: option '--s' is ambiguous: it could be --separator or --statement-timeout /,
    },
    {
      name: "a bad -l after the command",
      args: [nowhere, "get-last-successful-execution", "-l", "verbose"],
      code: 2,
      message: /^error: Log level "verbose" is not known/,
    },
  ];
  for (const usage of cases) {
    await t.step(usage.name, async () => {
      assertCleanFailure(await runDpo(usage.args), usage.code, usage.message);
    });
  }
  await t.step("no command at all prints the usage on stderr", async () => {
    const result = await runDpo([]);
    assertEquals([result.code, result.stdout], [2, ""]);
    assertMatch(result.stderr, /^Usage: dpo \[options\] \[<db-url>\] <command>/);
  });
});

Deno.test("--log-level is accepted in any case, before or after the command", async () => {
  await using db = await upgradedDatabase();
  for (
    const args of [
      ["--log-level", "debug", db.url, "get-last-successful-execution"],
      [db.url, "get-last-successful-execution", "-l", "Debug"],
      ["--db", db.url, "--log-level=DEBUG", "get-last-successful-execution"],
      // argparse's prefixes of a long option.
      [db.url, "get-last-successful-execution", "--log", "debug"],
      ["--log-l=Debug", db.url, "get-last-successful-execution"],
    ]
  ) {
    const result = await runDpo(args);
    assertEquals(
      [result.code, result.stdout],
      [0, "NO_LAST_SUCCESSFUL_EXECUTION\n"],
      result.stderr,
    );
    assertMatch(result.stderr, / - dpo - DEBUG - /);
  }
  assertEquals(await runDpo([db.url, "complete-execution", UNKNOWN_ID, "-l", "critical"]), {
    code: 1,
    stdout: "",
    stderr:
      `error: Execution "${UNKNOWN_ID}" does not exist: use an id printed by init-execution\n`,
  });
});

Deno.test("--help of a command prints that command's help on stdout, also after a database URL", async () => {
  const nowhere = `postgresql://dpo:secret@127.0.0.1:${closedPort()}/dpo`;
  const commands = [
    ["init-execution", "--execution-id [uuid]"],
    ["get-last-successful-execution", ""],
    ["get-execution-completion-timestamp", "<execution-id>"],
    ["init-step", "<execution-id> <step-name> <base-path> <model-patterns...>"],
    ["compare-step-models", "<step-id> <previous-execution-id>"],
    ["complete-step", "--rows-processed [n]"],
    ["complete-execution", "<execution-id>"],
  ];
  const overview = await runDpo(["--help"]);
  assertEquals([overview.code, overview.stderr], [0, ""]);
  for (const [command, mentions] of commands) {
    assertMatch(overview.stdout, new RegExp(`^  ${command} `, "m"));
    for (const args of [[command, "--help"], [nowhere, command, "--help"]]) {
      const help = await runDpo(args);
      assertEquals([help.code, help.stderr], [0, ""], `dpo ${args.join(" ")}`);
      assert(help.stdout.startsWith(`Usage: dpo ${command}`), help.stdout);
      assert(help.stdout.includes(mentions), `${command} --help lacks ${mentions}`);
    }
  }
});

Deno.test("--version and -V print the version of deno.json", async () => {
  const { version } = JSON.parse(
    await Deno.readTextFile(new URL("../../deno.json", import.meta.url)),
  );
  assertMatch(version, /^\d+\.\d+\.\d+/);
  for (const flag of ["--version", "-V"]) {
    assertEquals(await runDpo([flag]), { code: 0, stdout: `${version}\n`, stderr: "" });
  }
});

Deno.test("-V taken as an option's value is no version: the command line is read whole, with its commands", async () => {
  for (const args of [["--db", "-V"], ["--pipeline", "-V"]]) {
    const result = await runDpo(args);
    assertEquals([result.code, result.stdout], [2, ""], `dpo ${args.join(" ")}`);
    assertMatch(result.stderr, /^Usage: dpo \[options\]/);
    // The help names every command, as it does without -V.
    assertMatch(result.stderr, /\n {2}init-execution /);
  }
});
