/**
 * The throwaway PostgreSQL server scripts/test.sh starts (DPO_TEST_PG_* variables): each test
 * gets its own database, dropped afterwards, so no test depends on another's leftovers.
 */
import postgres from "postgres";

function required(name: string): string {
  const value = Deno.env.get(name);
  if (!value) {
    throw new Error(`${name} is not set: run the tests through ./scripts/test.sh`);
  }
  return value;
}

/** The server's address and superuser, from scripts/pg_cluster.sh's env file. */
export function serverSettings() {
  return {
    host: required("DPO_TEST_PG_HOST"),
    port: Number(required("DPO_TEST_PG_PORT")),
    user: required("DPO_TEST_PG_SUPERUSER"),
    password: required("DPO_TEST_PG_PASSWORD"),
  };
}

/** A postgresql:// URL for a database on the test server. */
export function databaseUrl(
  database: string,
  credentials?: { user: string; password: string },
): string {
  const server = serverSettings();
  const user = credentials?.user ?? server.user;
  const password = credentials?.password ?? server.password;
  return `postgresql://${encodeURIComponent(user)}:${
    encodeURIComponent(password)
  }@${server.host}:${server.port}/${database}`;
}

/** A superuser client on one database, closed by the caller. */
export function superuserClient(database = "postgres"): postgres.Sql {
  const server = serverSettings();
  return postgres({
    ...server,
    database,
    max: 1,
    onnotice: () => {},
  });
}

/** A fresh empty database for one test. */
export interface TestDatabase {
  name: string;
  url: string;
  /** A superuser client on this database for setting up and checking rows. */
  sql: postgres.Sql;
  [Symbol.asyncDispose](): Promise<void>;
}

let counter = 0;

/**
 * Creates a database named after the test; `await using` drops it at the end. With
 * `{ collation: "icu-en-US" }` it is collated by ICU's en-US, as production servers often are:
 * there "_x" sorts before "a" and "B" after it, so only an explicit code-point order passes the
 * comparisons (the test cluster's own C.UTF-8 sorts by code point anyway).
 */
export async function createTestDatabase(
  options: { collation?: "icu-en-US" } = {},
): Promise<TestDatabase> {
  const name = `dpo_test_${Date.now().toString(36)}_${Deno.pid}_${counter++}`;
  const admin = superuserClient();
  try {
    await admin.unsafe(
      options.collation === "icu-en-US"
        ? `CREATE DATABASE ${name} TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US'`
        : `CREATE DATABASE ${name}`,
    );
  } finally {
    await admin.end();
  }
  const sql = superuserClient(name);
  return {
    name,
    url: databaseUrl(name),
    sql,
    async [Symbol.asyncDispose]() {
      await sql.end();
      const dropper = superuserClient();
      try {
        await dropper.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await dropper.end();
      }
    },
  };
}
