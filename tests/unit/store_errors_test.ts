import { equal, ok } from "node:assert/strict";
import { wordStoreError } from "../../src/cli/store_errors.ts";
import { parseStoreUrl } from "../../src/config.ts";
import { DatabaseError } from "../../src/errors.ts";
import { embeddedStoreError, translateSqliteError } from "../../src/store/sqlite_errors.ts";
import { asStoreError, StoreError } from "../../src/store/store_error.ts";

const server = parseStoreUrl("postgresql://etl:s3cret@db.example:5433/dpo");
const embedded = parseStoreUrl("sqlite:/tmp/dpo.sqlite");

/** A driver's error as the store throws it, worded by the CLI. */
function worded(code: string, message: string, target = server, timeout = 30): unknown {
  const driverError = Object.assign(new Error(message), { code });
  return wordStoreError(asStoreError(driverError, timeout), target);
}

function text(error: unknown): string {
  ok(error instanceof DatabaseError && !(error instanceof StoreError), `not worded: ${error}`);
  return error.message;
}

Deno.test("wordStoreError() words each failure the store reports by its code", async (t) => {
  const where = server.display;
  const cases = [
    {
      name: "a refused connection",
      error: worded("ECONNREFUSED", "connect ECONNREFUSED"),
      expected: `Cannot connect to PostgreSQL at ${where}: connection refused; check that the ` +
        "server is running and the URL's host and port",
    },
    {
      name: "a statement timeout, with the --statement-timeout in force",
      error: worded("57014", "canceling statement due to statement timeout", server, 7),
      expected: `PostgreSQL at ${where} cancelled a statement that ran longer than ` +
        "--statement-timeout (7 s): canceling statement due to statement timeout; another " +
        "session may hold a lock dpo needs: let it finish, or raise --statement-timeout",
    },
    {
      name: "a cancel that is not a timeout: the server's words and the SQLSTATE",
      error: worded("57014", "canceling statement due to user request"),
      expected: `PostgreSQL at ${where} failed (SQLSTATE 57014): canceling statement due to ` +
        "user request",
    },
    {
      name: "an unknown SQLSTATE on the embedded store",
      error: worded("XX000", "boom", embedded),
      expected: "The embedded store sqlite:/tmp/dpo.sqlite failed (SQLSTATE XX000): boom",
    },
    {
      name: "a password in the server's words is hidden",
      error: worded("28000", 'no entry for user "etl" with password "s3cret"'),
      expected: `PostgreSQL at ${where} refused the connection: no entry for user "etl" with ` +
        'password "***"',
    },
  ];
  for (const { name, error, expected } of cases) {
    await t.step(name, () => equal(text(error), expected));
  }
});

Deno.test("wordStoreError() leaves a driver error it cannot explain, and dpo's own, as they are", () => {
  const driverError = Object.assign(new Error("odd"), { code: "ERR_SOMETHING" });
  equal(wordStoreError(asStoreError(driverError), server), driverError);
  const own = new DatabaseError("already worded");
  equal(wordStoreError(asStoreError(own), server), own);
});

Deno.test("wordStoreError() names the migration lock's holder and the flag that waits longer", () => {
  const held = new StoreError({
    kind: "migration-lock",
    lockTimeout: "5s",
    holder: { pid: 42, applicationName: "agent-7", user: "etl" },
  });
  equal(
    text(wordStoreError(held, server)),
    'Cannot take the migration lock within 5s: it is held by "agent-7" (pid 42, user "etl"); ' +
      "let that process finish, or raise --statement-timeout",
  );
  const released = new StoreError({ kind: "migration-lock", lockTimeout: "5s", holder: null });
  equal(
    text(wordStoreError(released, server)),
    "Cannot take the migration lock within 5s: its holder has just released it; run the " +
      "command again",
  );
});

Deno.test("wordStoreError() words the embedded store's failures from SQLite's result codes", async (t) => {
  const sqliteError = (errcode: number, message: string) =>
    Object.assign(new Error(message), { code: "ERR_SQLITE_ERROR", errcode });
  const store = 'The embedded store "/tmp/dpo.sqlite"';
  const cases = [
    {
      name: "a file that is not SQLite (SQLITE_NOTADB)",
      error: translateSqliteError(sqliteError(26, "file is not a database"), "/tmp/dpo.sqlite"),
      expected: `${store} is not a SQLite database (file is not a database): name the right ` +
        "file with --db sqlite:<file>, or move this one aside",
    },
    {
      name: "an extended code (SQLITE_IOERR_WRITE) by its primary code",
      error: translateSqliteError(sqliteError(778, "disk I/O error"), "/tmp/dpo.sqlite"),
      expected: `${store} could not be read or written (disk I/O error): keep it on a local ` +
        "disk (network file systems are not supported) and check the disk",
    },
    {
      name: "a code dpo has no words for: SQLite's own",
      error: translateSqliteError(sqliteError(19, "constraint failed"), "/tmp/dpo.sqlite"),
      expected: `${store} failed: constraint failed`,
    },
    {
      name: "a wait past --connect-timeout, with the seconds waited",
      error: embeddedStoreError({
        code: "busy-timeout",
        path: "/tmp/dpo.sqlite",
        detail: "database is locked",
        waitedSeconds: 3,
      }),
      expected: `${store} stayed busy with another dpo process's write for 3 s: retry later ` +
        "or raise --connect-timeout",
    },
    {
      name: "a folder that cannot be made, with what to do next",
      error: embeddedStoreError({
        code: "cannot-create-folder",
        path: "/tmp/file/dpo.sqlite",
        detail: "File exists (os error 17): mkdir '/tmp/file'",
      }),
      expected: 'Cannot create the folder of the embedded store "/tmp/file/dpo.sqlite" (File ' +
        "exists (os error 17): mkdir '/tmp/file'): name a file in a folder this user may " +
        "create, with --db sqlite:<file>",
    },
    {
      name: "a store that cannot be linked into place, with what to do next",
      error: embeddedStoreError({
        code: "cannot-create",
        path: "/tmp/dpo.sqlite",
        detail: "Permission denied (os error 13)",
      }),
      expected: 'Cannot create the embedded store "/tmp/dpo.sqlite" (Permission denied (os ' +
        "error 13)): check that this user may write in its folder and that the disk has room",
    },
    {
      name: "a network file system, by its type",
      error: embeddedStoreError({
        code: "network-file-system",
        path: "/tmp/dpo.sqlite",
        detail: "nfs4",
      }),
      expected: `${store} is on a network file system (nfs4), where SQLite's write-ahead log ` +
        "is not safe: keep it on a local disk (--db sqlite:<file>), or use a PostgreSQL server",
    },
  ];
  for (const { name, error, expected } of cases) {
    await t.step(name, () => equal(text(wordStoreError(error, embedded)), expected));
  }
});

Deno.test("translateSqliteError() leaves errors that are not SQLite's as they are", () => {
  const other = new TypeError("not the store's");
  equal(translateSqliteError(other, "/tmp/dpo.sqlite"), other);
});
