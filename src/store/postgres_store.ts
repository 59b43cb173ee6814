/** The PostgreSQL server store, through dpo's own protocol client (pg/client.ts). */
import { DatabaseError } from "../errors.ts";
import type { Log } from "../log.ts";
import { VERSION } from "../version.ts";
import type { Queryable, Store } from "./database.ts";
import { PgClient, type TlsPolicy } from "./pg/client.ts";
import { connectionConfig } from "./pg/config.ts";
import { retryTransient } from "./retry.ts";
import { type TlsSetup, tlsSetup } from "./tls.ts";

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
 * Connects, retrying while the server is down, starting up or out of connections, for up to the
 * connect timeout.
 */
export async function openPostgresStore(options: PostgresOptions): Promise<Store> {
  const tls = await tlsSetup(options.url);
  options.log.debug(`TLS: sslmode=${tls.mode}`);
  const config = connectionConfig(tls.url);
  const direct = config.startupParameters.sslnegotiation === "direct";
  delete config.startupParameters.sslnegotiation;
  const agent = Deno.env.get("DPO_AGENT");
  config.startupParameters.application_name ??= agent
    ? `dpo/${VERSION} ${agent}`
    : `dpo/${VERSION}`;
  const client = await retryTransient(
    (secondsLeft) =>
      PgClient.connect({
        config,
        tls: tlsPolicy(tls, direct),
        connectTimeoutSeconds: secondsLeft,
        // Never on stdout, which is for results only.
        onNotice: (message) => options.log.debug(`PostgreSQL notice: ${message}`),
      }),
    {
      timeoutSeconds: options.connectTimeoutSeconds,
      log: options.log,
      what: `PostgreSQL at ${options.display}`,
    },
  );
  const limits = [`${Math.round(options.statementTimeoutSeconds * 1000)}ms`];
  const queryable: Queryable = {
    dialect: "postgres",
    query: async <Row>(text: string, params: readonly unknown[] = []) =>
      (await client.query(text, params)) as Row[],
    exec: async (script: string) => {
      await client.script(script);
    },
  };
  const runTransaction = async <T>(work: (tx: Queryable) => Promise<T>): Promise<T> => {
    await client.script("BEGIN");
    let result: T;
    try {
      await client.query(SET_LIMITS, limits);
      result = await work(queryable);
    } catch (error) {
      // On a lost connection the server has rolled back already.
      await client.script("ROLLBACK").catch(() => {});
      throw error;
    }
    // A transaction in which a statement failed (and the failure was caught) ends in ROLLBACK.
    if (await client.script("COMMIT") !== "COMMIT") {
      throw new DatabaseError(
        `PostgreSQL at ${options.display} rolled the transaction back instead of committing it: ` +
          "nothing was written; run the command again",
      );
    }
    return result;
  };
  // One connection: transactions run one after the other, never interleaved.
  let previous: Promise<unknown> = Promise.resolve();
  const transaction = <T>(work: (tx: Queryable) => Promise<T>): Promise<T> => {
    const next = previous.then(() => runTransaction(work));
    previous = next.catch(() => {});
    return next;
  };
  return {
    dialect: "postgres",
    // A statement outside a transaction gets its own, so that the limits apply to it too.
    query: (text, params) => transaction((tx) => tx.query(text, params)),
    exec: (script) => transaction((tx) => tx.exec(script)),
    transaction,
    close: () => client.close(),
  };
}

function tlsPolicy(tls: TlsSetup, direct: boolean): TlsPolicy {
  if (tls.ssl === false) return { kind: "disable" };
  if (tls.ssl === "prefer") return { kind: "prefer" };
  return { kind: "require", options: tls.ssl, direct };
}
