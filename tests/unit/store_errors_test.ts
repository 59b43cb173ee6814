import { equal, ok } from "node:assert/strict";
import { wordStoreError } from "../../src/cli/store_errors.ts";
import { parseStoreUrl } from "../../src/config.ts";
import { DatabaseError } from "../../src/errors.ts";
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
