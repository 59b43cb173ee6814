/**
 * A password given in any of the ways dpo accepts never shows on stdout or stderr: not in an
 * error line, not at --log-level DEBUG, where the stack and the whole cause chain are printed.
 */
import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { type CliResult, dpoOk, MAIN, runDpo } from "../helpers/cli.ts";
import {
  createTestDatabase,
  serverSettings,
  superuserClient,
  type TestDatabase,
} from "../helpers/postgres_server.ts";

/** Distinctive, and full of characters a URL must percent-encode. */
const PASSWORD = `Zq9x-${crypto.randomUUID().slice(0, 8)}-p@ss:w/rd%+&#`;
/** The part no message could contain by chance: finds a password cut short, too. */
const PASSWORD_CORE = PASSWORD.slice(0, 13);

interface Source {
  name: string;
  /** dpo's arguments and environment for a server URL, given the user and whether it has the password. */
  invoke(url: (withPassword: boolean) => string): { args: string[]; env: Record<string, string> };
}

const SOURCES: Source[] = [
  { name: "the URL before the command", invoke: (url) => ({ args: [url(true)], env: {} }) },
  { name: "--db <url>", invoke: (url) => ({ args: ["--db", url(true)], env: {} }) },
  { name: "--db=<url>", invoke: (url) => ({ args: [`--db=${url(true)}`], env: {} }) },
  {
    name: "DPO_DATABASE_URL",
    invoke: (url) => ({ args: [], env: { DPO_DATABASE_URL: url(true) } }),
  },
  {
    name: "PGPASSWORD",
    invoke: (url) => ({ args: [url(false)], env: { PGPASSWORD: PASSWORD } }),
  },
];

interface Scenario {
  name: string;
  user: "role" | "postgres";
  port?: number;
  query?: string;
  args: string[];
  code: number;
}

/** A closed port on the loopback interface: nothing listens there. */
function closedPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

const SCENARIOS: Scenario[] = [
  { name: "a wrong password", user: "postgres", args: ["init-execution"], code: 1 },
  {
    name: "an unreachable server",
    user: "role",
    port: closedPort(),
    args: ["--connect-timeout", "0.3", "init-execution"],
    code: 1,
  },
  {
    name: "a server without TLS",
    user: "role",
    query: "?sslmode=require",
    args: ["db", "current"],
    code: 1,
  },
  { name: "a permission the role lacks", user: "role", args: ["db", "downgrade", "-1"], code: 1 },
  { name: "a successful command", user: "role", args: ["init-execution"], code: 0 },
];

/** The test database, and a role whose password is PASSWORD with the grants dpo needs. */
async function databaseWithRole(): Promise<TestDatabase & { role: string }> {
  const db = await createTestDatabase();
  const role = `dpo_secret_${Date.now().toString(36)}_${Deno.pid}`;
  try {
    await dpoOk([db.url, "db", "upgrade"]);
    // DDL takes no parameters; PASSWORD holds no quote.
    await db.sql.unsafe(`CREATE ROLE ${role} LOGIN PASSWORD '${PASSWORD}';
      GRANT USAGE ON SCHEMA dpo TO ${role};
      GRANT SELECT, INSERT, UPDATE ON ALL TABLES IN SCHEMA dpo TO ${role};`);
  } catch (error) {
    await db[Symbol.asyncDispose]();
    throw error;
  }
  return {
    ...db,
    role,
    async [Symbol.asyncDispose]() {
      await db[Symbol.asyncDispose]();
      const admin = superuserClient();
      try {
        await admin.unsafe(`DROP ROLE IF EXISTS ${role}`);
      } finally {
        await admin.end();
      }
    },
  };
}

function assertNoPassword(result: CliResult, what: string): void {
  for (const [stream, text] of [["stdout", result.stdout], ["stderr", result.stderr]]) {
    for (const form of [PASSWORD, encodeURIComponent(PASSWORD), PASSWORD_CORE]) {
      assert(!text.includes(form), `${what}: the password is on ${stream}:\n${text}`);
    }
  }
}

Deno.test("the password never shows on stdout or stderr, at any log level, however it is given", async (t) => {
  await using db = await databaseWithRole();
  const server = serverSettings();
  for (const scenario of SCENARIOS) {
    await t.step(scenario.name, async () => {
      const url = (withPassword: boolean) => {
        const user = scenario.user === "role" ? db.role : "postgres";
        const credentials = withPassword ? `${user}:${encodeURIComponent(PASSWORD)}` : user;
        return `postgresql://${credentials}@${server.host}:${scenario.port ?? server.port}/` +
          `${db.name}${scenario.query ?? ""}`;
      };
      for (const source of SOURCES) {
        const { args, env } = source.invoke(url);
        for (const level of ["INFO", "DEBUG"]) {
          const what = `${source.name}, --log-level ${level}`;
          const result = await runDpo(["--log-level", level, ...args, ...scenario.args], { env });
          assertEquals(result.code, scenario.code, `${what}: ${result.stderr}`);
          assertNoPassword(result, what);
          if (level === "DEBUG" && scenario.code !== 0) {
            // The stack and the driver's error below dpo's were printed, and redacted.
            assert(/\n {4}at /.test(result.stderr), `${what}: no stack: ${result.stderr}`);
            assert(result.stderr.includes("\ncaused by: "), `${what}: no cause: ${result.stderr}`);
          }
        }
      }
    });
  }
  await t.step("a password with a raw @ or %, which the URL should have encoded", async () => {
    const tail = `Tail7-${crypto.randomUUID().slice(0, 8)}`;
    for (const raw of [`${PASSWORD_CORE}@${tail}`, `${PASSWORD_CORE}%zz${tail}`]) {
      // postgres.js reads up to the last "@" as the password, as the URL parser does.
      const url = () => `postgresql://postgres:${raw}@${server.host}:${server.port}/${db.name}`;
      for (const source of SOURCES.slice(0, 4)) {
        const { args, env } = source.invoke(url);
        const result = await runDpo(["--log-level", "DEBUG", ...args, "init-execution"], { env });
        assertEquals(result.code, raw.includes("%") ? 2 : 1, result.stderr);
        assertNoPassword(result, `${source.name}, ${raw}`);
        assert(!`${result.stdout}${result.stderr}`.includes(tail), `${raw}: ${result.stderr}`);
      }
    }
  });
  await t.step("a malformed URL", async () => {
    const url = () =>
      `postgresql://${db.role}:${encodeURIComponent(PASSWORD)}@${server.host}:99999999/db`;
    for (const source of SOURCES.slice(0, 4)) {
      const { args, env } = source.invoke(url);
      const result = await runDpo(["--log-level", "DEBUG", ...args, "init-execution"], { env });
      assertEquals(result.code, 2, result.stderr);
      assertNoPassword(result, source.name);
    }
  });
});

Deno.test("a password equal to the user, the database or a common word hides only the password", async (t) => {
  const server = serverSettings();
  const word = `dpo_same_${Date.now().toString(36)}`;
  const admin = superuserClient();
  await admin.unsafe(`CREATE ROLE ${word} LOGIN PASSWORD '${word}'`);
  try {
    await t.step("user, password and database all the same word", async () => {
      // The database does not exist: the message must still say which one.
      const result = await runDpo([
        `postgresql://${word}:${word}@${server.host}:${server.port}/${word}`,
        "get-last-successful-execution",
      ]);
      assertEquals([result.code, result.stdout], [1, ""]);
      assertEquals(
        result.stderr,
        `error: Database "${word}" does not exist at postgresql://${word}:***@${server.host}:` +
          `${server.port}/${word}: create it or fix the URL\n`,
      );
    });
    for (const password of ["p", "port", "tmp"]) {
      await t.step(`the password "${password}"`, async () => {
        const result = await runDpo([
          "--connect-timeout",
          "0.3",
          `postgresql://u:${password}@127.0.0.1:${closedPort()}/db`,
          "init-execution",
        ], { cwd: "/tmp" });
        assertEquals([result.code, result.stdout], [1, ""]);
        const error = result.stderr.trimEnd().split("\n").pop()!;
        assert(
          /^error: Cannot connect to PostgreSQL at postgresql:\/\/u:\*\*\*@127\.0\.0\.1:\d+\/db: connection refused; check that the server is running and the URL's host and port$/
            .test(error),
          error,
        );
      });
    }
    await t.step(
      "a password equal to a folder of the checkout: DEBUG stacks keep their paths",
      async () => {
        const folder = MAIN.split("/")[1];
        const result = await runDpo([
          "--log-level",
          "DEBUG",
          "--connect-timeout",
          "0.3",
          `postgresql://u:${folder}@127.0.0.1:${closedPort()}/db`,
          "init-execution",
        ]);
        assertEquals([result.code, result.stdout], [1, ""]);
        assert(result.stderr.includes(`file:///${folder}/`), result.stderr);
        assert(result.stderr.includes("postgresql://u:***@127.0.0.1:"), result.stderr);
      },
    );
  } finally {
    await admin.unsafe(`DROP ROLE IF EXISTS ${word}`);
    await admin.end();
  }
});
