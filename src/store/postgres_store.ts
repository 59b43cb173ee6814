/** The PostgreSQL server store, through postgres.js. */
import postgres from "postgres";
import type { Log } from "../log.ts";
import { VERSION } from "../version.ts";
import type { Queryable, Store } from "./database.ts";

export interface PostgresOptions {
  url: string;
  connectTimeoutSeconds: number;
  log: Log;
}

/** Opens a single-connection client; postgres.js connects lazily, on the first query. */
export function openPostgresStore(options: PostgresOptions): Store {
  const agent = Deno.env.get("DPO_AGENT");
  const sql = postgres(options.url, {
    max: 1,
    // Named prepared statements do not survive a transaction-pooling PgBouncer.
    prepare: false,
    connect_timeout: options.connectTimeoutSeconds,
    // The default prints NOTICEs on stdout, which is for results only.
    onnotice: (notice) => options.log.debug(`PostgreSQL notice: ${notice.message}`),
    connection: { application_name: agent ? `dpo/${VERSION} ${agent}` : `dpo/${VERSION}` },
  });
  const queryable = (runner: postgres.Sql | postgres.TransactionSql): Queryable => ({
    query: async <Row>(text: string, params: readonly unknown[] = []) =>
      (await runner.unsafe(text, params as postgres.ParameterOrJSON<never>[])) as unknown as Row[],
    // Without parameters postgres.js uses the simple protocol, which accepts several statements.
    exec: async (script: string) => {
      await runner.unsafe(script);
    },
  });
  return {
    kind: "postgres",
    ...queryable(sql),
    transaction: async <T>(work: (tx: Queryable) => Promise<T>) =>
      (await sql.begin((tx) => work(queryable(tx)))) as T,
    close: () => sql.end({ timeout: 5 }),
  };
}
