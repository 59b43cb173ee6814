/**
 * Helpers for the end-to-end tests: the same scenario on a PostgreSQL database and on an
 * embedded SQLite store, rows read back from either, and the shapes of dpo's outputs.
 */
import { createHash } from "node:crypto";
import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { DatabaseSync, type SQLInputValue } from "node:sqlite";
import { inSqliteSchema } from "../../src/store/sqlite_store.ts";
import type { FleetStore } from "../../scripts/lib/fleet.ts";
import { type CliOptions, type CliResult, MAIN } from "./cli.ts";
import { decodeOutput } from "../../scripts/lib/captured_command.ts";
import { migrateStoreAt } from "./in_process_store.ts";
import { temporaryFolder } from "./model_tree.ts";
import { createTestDatabase, superuserClient } from "./postgres_server.ts";

/** The two stores every pipeline scenario runs on. */
export const STORE_KINDS = ["PostgreSQL", "SQLite"] as const;

/** Steps whose execution, and model rows whose step, are gone (in SQL both stores read). */
export const ORPHAN_ROWS_QUERY = `SELECT
  (SELECT count(*) FROM dpo.execution_step s WHERE NOT EXISTS
    (SELECT 1 FROM dpo.execution e WHERE e.execution_id = s.execution_id)) AS steps,
  (SELECT count(*) FROM dpo.execution_step_model m WHERE NOT EXISTS
    (SELECT 1 FROM dpo.execution_step s WHERE s.execution_step_id = m.execution_step_id))
    AS models`;
export type StoreKind = typeof STORE_KINDS[number];

/** A fresh, migrated store, how to name it on the command line, and a way to read its rows. */
export interface StoreUnderTest {
  kind: StoreKind;
  /** The arguments that name the store, placed before the command. */
  args: string[];
  /**
   * How to reach the same store without naming it in argv: DPO_DATABASE_URL for PostgreSQL,
   * the working directory whose `.dpo/dpo.sqlite` holds it for SQLite.
   */
  implicit: CliOptions;
  /**
   * Rows of one read-only query, in SQL both stores read (CAST(x AS text), not x::text); cast
   * numbers and times to text to compare them.
   */
  rows(query: string): Promise<Record<string, unknown>[]>;
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * A PostgreSQL test database (collated by ICU en-US), or a SQLite store in `.dpo/dpo.sqlite` of a
 * temporary folder, migrated to head in-process (migrations_test.ts runs `dpo db upgrade` itself).
 * `await using` drops or removes it.
 */
export async function openStoreUnderTest(kind: StoreKind): Promise<StoreUnderTest> {
  if (kind === "PostgreSQL") {
    const db = await createTestDatabase({ collation: "icu-en-US" });
    try {
      await migrateStoreAt(kind, db.url);
    } catch (error) {
      await db[Symbol.asyncDispose]();
      throw error;
    }
    return {
      kind,
      args: [db.url],
      implicit: { env: { DPO_DATABASE_URL: db.url } },
      rows: async (query) => [...await db.sql.unsafe(query)],
      [Symbol.asyncDispose]: () => db[Symbol.asyncDispose](),
    };
  }
  const folder = await temporaryFolder();
  const storeFile = `${folder.path}/.dpo/dpo.sqlite`;
  try {
    await migrateStoreAt(kind, storeFile);
  } catch (error) {
    await folder[Symbol.asyncDispose]();
    throw error;
  }
  return {
    kind,
    args: ["--db", `sqlite:${storeFile}`],
    implicit: { cwd: folder.path },
    rows: (query) => Promise.resolve(querySqliteStore(storeFile, query)),
    [Symbol.asyncDispose]: () => folder[Symbol.asyncDispose](),
  };
}

/**
 * Rows of one query on a SQLite store file, its tables named `dpo.…` as dpo's statements name them
 * (inSqliteSchema); any number of dpo processes may use the store meanwhile.
 */
export function querySqliteStore(
  file: string,
  query: string,
  params: readonly unknown[] = [],
): Record<string, unknown>[] {
  const db = new DatabaseSync(file, { timeout: 10_000 });
  try {
    // $1, $2… as dpo writes them bind by name in node:sqlite.
    const named = Object.fromEntries(params.map((value, i) => [i + 1, value as SQLInputValue]));
    // Code-point order is SQLite's own (BINARY): the tests' `COLLATE "C"` means the same there.
    const text = inSqliteSchema(query).replaceAll('COLLATE "C"', "COLLATE BINARY");
    return db.prepare(text).all(named).map((row) => ({ ...row }));
  } finally {
    db.close();
  }
}

/** A SQLite store under test as checkFleet() reads it, row by row from its file. */
export function sqliteFleetStore(store: StoreUnderTest): FleetStore {
  const file = store.args[1].replace(/^sqlite:/, "");
  return {
    dialect: "sqlite",
    rows: (query, params) => Promise.resolve(querySqliteStore(file, query, params)),
  };
}

/** Every row of dpo's three tables, to show that a failed command wrote nothing. */
export async function snapshotTables(
  rows: (query: string) => Promise<Record<string, unknown>[]>,
): Promise<string> {
  const tables = [
    ["dpo.execution", "execution_id"],
    ["dpo.execution_step", "execution_step_id"],
    ["dpo.execution_step_model", "execution_step_model_id"],
  ];
  const snapshot: Record<string, unknown> = {};
  for (const [table, key] of tables) {
    // Every column as the driver reads it: enough to see that nothing changed.
    snapshot[table] = await rows(`SELECT * FROM ${table} ORDER BY ${key}`);
  }
  return JSON.stringify(snapshot);
}

/** Lower-case hex SHA-256 of a file's bytes, as `sha256sum` prints it. */
export async function sha256OfFile(path: string): Promise<string> {
  return createHash("sha256").update(await Deno.readFile(path)).digest("hex");
}

/** Python's isoformat() in UTC, as dpo prints times: microseconds when not zero, `+00:00`. */
export const ISO_TIMESTAMP = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?\+00:00$/;

const LOG_PREFIX = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z - dpo - /gm;
const DATA_TIMESTAMP = /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?\+00:00/g;
const DURATION = /\d+h \d+m \d+s/g;

/**
 * Masks what changes from run to run in dpo's log lines: the log time becomes `<log> - dpo - `,
 * a database time `<time>`, a duration `<duration>`.
 */
export function maskLog(stderr: string): string {
  return stderr.replace(LOG_PREFIX, "<log> - dpo - ").replace(DATA_TIMESTAMP, "<time>")
    .replace(DURATION, "<duration>");
}

/** A failure as main.ts reports it: the exit code, nothing on stdout, one `error: ` line. */
export function assertCleanFailure(result: CliResult, code: 1 | 2, message: RegExp): void {
  assertEquals(result.code, code, `exit code; stderr: ${result.stderr}`);
  assertEquals(result.stdout, "");
  assert(!result.stderr.includes("    at "), `a stack trace on stderr: ${result.stderr}`);
  const lines = result.stderr.split("\n");
  assertEquals(lines.length, 2, `not one line on stderr: ${result.stderr}`);
  assertEquals(lines[1], "");
  assert(lines[0].startsWith("error: "), `stderr does not start with "error: ": ${lines[0]}`);
  assert(message.test(lines[0]), `stderr ${JSON.stringify(lines[0])} does not match ${message}`);
}

/** A role with a password and no privileges yet; `await using` drops it. */
export async function createTestRole(): Promise<
  { name: string; password: string; [Symbol.asyncDispose](): Promise<void> }
> {
  const name = `dpo_role_${Date.now().toString(36)}_${Deno.pid}`;
  const password = `pw-${crypto.randomUUID()}`;
  const admin = superuserClient();
  try {
    // DDL takes no parameters; the name and the password are both generated above.
    await admin.unsafe(`CREATE ROLE ${name} LOGIN PASSWORD '${password}'`);
  } finally {
    await admin.end();
  }
  return {
    name,
    password,
    async [Symbol.asyncDispose]() {
      const dropper = superuserClient();
      try {
        await dropper.unsafe(`DROP ROLE IF EXISTS ${name}`);
      } finally {
        await dropper.end();
      }
    },
  };
}

const READ_OVERRIDES = "-dac_override,-dac_read_search";

/**
 * Why dpo cannot be run bound by file modes here, or undefined when it can: root reads a
 * mode-000 file anyway, and drops that power only through `setpriv` (util-linux). Tests that need
 * it are `ignore`d with this reason printed.
 */
export const FILE_MODES_UNBINDABLE: string | undefined = (() => {
  if (Deno.build.os === "windows") return "file modes do not bind a process on Windows";
  if (Deno.uid() !== 0) return undefined;
  try {
    new Deno.Command("setpriv", { args: ["--version"], stdout: "null", stderr: "null" })
      .outputSync();
    return undefined;
  } catch {
    return "running as root and setpriv (util-linux) is not installed";
  }
})();
if (FILE_MODES_UNBINDABLE !== undefined) {
  console.error(`tests that need unreadable files are ignored: ${FILE_MODES_UNBINDABLE}`);
}

/**
 * Runs dpo so that file permissions bind it. Root reads a mode-000 file anyway, so as root the
 * CLI runs through `setpriv` without the capabilities that override them (root still owns the
 * deno cache it needs). Only where FILE_MODES_UNBINDABLE is undefined.
 */
export async function runDpoBoundByFileModes(
  args: readonly string[],
  options: CliOptions = {},
): Promise<CliResult> {
  const denoArgs = ["run", "-A", "--quiet", MAIN, ...args];
  const asRoot = Deno.uid() === 0;
  const program = asRoot ? "setpriv" : Deno.execPath();
  const programArgs = asRoot
    ? [
      `--inh-caps=${READ_OVERRIDES}`,
      `--bounding-set=${READ_OVERRIDES}`,
      "--",
      Deno.execPath(),
      ...denoArgs,
    ]
    : denoArgs;
  const output = await new Deno.Command(program, {
    args: programArgs,
    cwd: options.cwd,
    env: { DPO_DATABASE_URL: "", PGPASSWORD: "", PGHOST: "", PGUSER: "", ...options.env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  return decodeOutput(output);
}
