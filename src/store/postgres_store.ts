/** The PostgreSQL server store, through postgres.js. */
import postgres from "postgres";
import type { Log } from "../log.ts";
import { VERSION } from "../version.ts";
import type { Queryable, Store } from "./database.ts";
import { retryTransient } from "./retry.ts";
import { tlsSetup } from "./tls.ts";

export interface PostgresOptions {
  url: string;
  display: string;
  connectTimeoutSeconds: number;
  statementTimeoutSeconds: number;
  log: Log;
}

// Per-transaction limits, set with set_config(…, true) (= SET LOCAL): a transaction-pooling
// PgBouncer rejects them as startup parameters and would leak session-level SETs.
const SET_LIMITS = "SELECT set_config('statement_timeout', $1, true), " +
  "set_config('lock_timeout', $1, true)";

/**
 * Opens a single-connection client and connects, retrying while the server is down, starting
 * up or out of connections, for up to the connect timeout.
 */
export async function openPostgresStore(options: PostgresOptions): Promise<Store> {
  ignoreWritesToClosedSocket();
  const agent = Deno.env.get("DPO_AGENT");
  const tls = tlsSetup(options.url);
  options.log.debug(`TLS: sslmode=${tls.mode}`);
  const sql = postgres(tls.url, {
    max: 1,
    ssl: tls.ssl,
    // Named prepared statements do not survive a transaction-pooling PgBouncer.
    prepare: false,
    connect_timeout: options.connectTimeoutSeconds,
    // retry.ts paces reconnecting; postgres.js's own backoff (up to 20 s) would overrun the bound.
    backoff: () => 0,
    // The default prints NOTICEs on stdout, which is for results only.
    onnotice: (notice) => options.log.debug(`PostgreSQL notice: ${notice.message}`),
    connection: { application_name: agent ? `dpo/${VERSION} ${agent}` : `dpo/${VERSION}` },
  });
  const limits = [`${Math.round(options.statementTimeoutSeconds * 1000)}ms`];
  const queryable = (runner: postgres.Sql | postgres.TransactionSql): Queryable => ({
    query: async <Row>(text: string, params: readonly unknown[] = []) =>
      (await runner.unsafe(text, params as postgres.ParameterOrJSON<never>[])) as unknown as Row[],
    // Without parameters postgres.js uses the simple protocol, which accepts several statements.
    exec: async (script: string) => {
      await runner.unsafe(script);
    },
  });
  const transaction = async <T>(work: (tx: Queryable) => Promise<T>): Promise<T> =>
    (await sql.begin(async (tx) => {
      await tx.unsafe(SET_LIMITS, limits);
      return await work(queryable(tx));
    })) as T;
  try {
    await retryTransient(() => sql.unsafe("SELECT 1"), {
      timeoutSeconds: options.connectTimeoutSeconds,
      log: options.log,
      what: `PostgreSQL at ${options.display}`,
    });
  } catch (error) {
    await sql.end({ timeout: 0 });
    throw error;
  }
  return {
    kind: "postgres",
    // A statement outside a transaction gets its own, so that the limits apply to it too.
    query: (text, params) => transaction((tx) => tx.query(text, params)),
    exec: (script) => transaction((tx) => tx.exec(script)),
    transaction,
    close: () => sql.end({ timeout: 5 }),
  };
}

let ignoringWritesToClosedSocket = false;

/**
 * postgres.js 3.4.9 writes the ROLLBACK of a transaction whose connection the server has just
 * closed from a setImmediate callback, after it has nulled the socket (porsager/postgres#1154,
 * #1208): an uncaught TypeError with a stack. The transaction has already failed with a
 * catchable error by then, so that one stray TypeError is dropped; any other error still crashes.
 */
function ignoreWritesToClosedSocket(): void {
  if (ignoringWritesToClosedSocket) return;
  ignoringWritesToClosedSocket = true;
  globalThis.addEventListener("error", (event) => {
    const error: unknown = event.error;
    if (
      error instanceof TypeError && error.message.includes("(reading 'write')") &&
      /\bnextWrite\b[\s\S]*postgres/.test(error.stack ?? "")
    ) {
      event.preventDefault();
    }
  });
}
