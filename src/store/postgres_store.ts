/**
 * The PostgreSQL server store, through postgres.js (npm:postgres), loaded only when a server URL
 * is used. What postgres.js leaves to its user is here and in postgres_session.ts: retries while
 * the server is not ready, per-transaction limits that a transaction-pooling PgBouncer keeps, and
 * transactions that run one after the other on one connection.
 */
import { DatabaseError } from "../errors.ts";
import type { Log } from "../log.ts";
import type { PostgresSettings } from "../postgres_url.ts";
import type { Queryable, Store } from "./database.ts";
import { Session } from "./postgres_session.ts";
import { tlsPolicy } from "./postgres_socket.ts";
import { retryTransient } from "./retry.ts";

export { STATEMENT_GRACE_SECONDS } from "./postgres_session.ts";

export interface PostgresOptions {
  settings: PostgresSettings;
  connectTimeoutSeconds: number;
  statementTimeoutSeconds: number;
  log: Log;
}

/**
 * BEGIN and the per-transaction limits, set with set_config(…, true) (= SET LOCAL): a
 * transaction-pooling PgBouncer rejects them as startup parameters and would leak session-level
 * SETs. One simple-protocol message, one round trip: postgres.js sends a statement with
 * parameters in two (it describes it first), so the limit, a whole number of milliseconds dpo
 * computed, is written into the text.
 */
function beginWithLimits(statementSeconds: number): string {
  const limit = `'${Math.round(statementSeconds * 1000)}ms'`;
  if (!/^'\d+ms'$/.test(limit)) throw new RangeError(`Statement timeout ${limit} is not a limit`);
  return `BEGIN; SELECT set_config('statement_timeout', ${limit}, true), ` +
    `set_config('lock_timeout', ${limit}, true)`;
}

/**
 * Connects, retrying while the server is down, starting up or out of connections, for up to the
 * connect timeout.
 */
export async function openPostgresStore(options: PostgresOptions): Promise<Store> {
  const { settings, log } = options;
  const tls = tlsPolicy(settings.tls);
  log.debug(`TLS: sslmode=${settings.tls.mode}`);
  const session = await retryTransient(
    (secondsLeft) => Session.open(settings, tls, secondsLeft, log),
    {
      timeoutSeconds: options.connectTimeoutSeconds,
      log,
      what: `PostgreSQL at ${settings.display}`,
    },
  );
  const transaction = serialTransactions(session, {
    display: settings.display,
    statementSeconds: options.statementTimeoutSeconds,
  });
  return {
    dialect: "postgres",
    // A statement outside a transaction gets its own, so that the limits apply to it too.
    query: (text, params) => transaction((tx) => tx.query(text, params)),
    exec: (script) => transaction((tx) => tx.exec(script)),
    transaction,
    close: () => session.close(),
  };
}

/** Runs transactions on the session's one connection one after the other, never interleaved. */
function serialTransactions(
  session: Session,
  limits: { display: string; statementSeconds: number },
): Store["transaction"] {
  const begin = beginWithLimits(limits.statementSeconds);
  const run = (text: string, params?: readonly unknown[]) =>
    session.statement(text, params, limits.statementSeconds);
  const queryable: Queryable = {
    dialect: "postgres",
    query: async <Row>(text: string, params: readonly unknown[] = []) =>
      (await run(text, params)).rows as Row[],
    exec: async (script: string) => {
      await run(script);
    },
  };
  const runTransaction = async <T>(work: (tx: Queryable) => Promise<T>): Promise<T> => {
    let result: T;
    try {
      await run(begin);
      result = await work(queryable);
    } catch (error) {
      // On a lost connection the server has rolled back already.
      if (session.usable) await run("ROLLBACK").catch(() => {});
      throw error;
    }
    // A transaction in which a statement failed (and the failure was caught) ends in ROLLBACK.
    if ((await run("COMMIT")).command !== "COMMIT") {
      throw new DatabaseError(
        `PostgreSQL at ${limits.display} rolled the transaction back instead of committing ` +
          "it: nothing was written; run the command again",
      );
    }
    return result;
  };
  let previous: Promise<unknown> = Promise.resolve();
  return <T>(work: (tx: Queryable) => Promise<T>): Promise<T> => {
    const next = previous.then(() => runTransaction(work));
    previous = next.catch(() => {});
    return next;
  };
}
