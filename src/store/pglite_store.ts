/** The embedded store: PostgreSQL in WebAssembly (PGlite), in a directory guarded by a lock file. */
import { PGlite, types } from "@electric-sql/pglite";
import { DatabaseError } from "../errors.ts";
import type { Log } from "../log.ts";
import type { Queryable, Store } from "./database.ts";

export interface PgliteOptions {
  dir: string;
  lockTimeoutSeconds: number;
  log: Log;
}

// Both stores hand back int8 and timestamptz as PostgreSQL's text (the server store: pg/values.ts),
// so no value loses precision on the way (a JS Date has only milliseconds).
const TEXT_PARSERS = {
  [types.INT8]: (value: string) => value,
  [types.TIMESTAMPTZ]: (value: string) => value,
};

/**
 * Opens (creating on first use) the store in `dir`. Two processes on one PGlite data directory
 * silently lose writes, so the store is held under an exclusive lock until close().
 */
export async function openPgliteStore(options: PgliteOptions): Promise<Store> {
  await Deno.mkdir(options.dir, { recursive: true });
  const lockFile = await acquireStoreLock(options);
  let db: PGlite;
  try {
    db = await PGlite.create(`${options.dir}/pgdata`, { parsers: TEXT_PARSERS });
  } catch (error) {
    lockFile.close();
    throw new DatabaseError(
      `Cannot open the embedded store "${options.dir}": ${(error as Error).message}`,
      { cause: error },
    );
  }
  const queryable = (runner: Pick<PGlite, "query" | "exec">): Queryable => ({
    query: async <Row>(text: string, params: readonly unknown[] = []) =>
      (await runner.query<Row>(text, params as unknown[])).rows,
    exec: async (script: string) => {
      await runner.exec(script);
    },
  });
  return {
    kind: "pglite",
    ...queryable(db),
    transaction: async (work) => {
      await signalsFirst();
      return await db.transaction((tx) => work(queryable(tx)));
    },
    close: async () => {
      try {
        await db.close();
      } finally {
        lockFile.close();
      }
    },
  };
}

async function acquireStoreLock(options: PgliteOptions): Promise<Deno.FsFile> {
  const lockPath = `${options.dir}/dpo.lock`;
  const lockFile = await Deno.open(lockPath, { create: true, write: true });
  const locked = lockFile.lock(true).then(() => "locked" as const);
  const first = await Promise.race([locked, delay(200, "busy" as const)]);
  if (first === "locked") return lockFile;
  options.log.info(
    `Waiting for the embedded store "${options.dir}": another dpo process is using it`,
  );
  const outcome = await Promise.race([
    locked,
    delay(options.lockTimeoutSeconds * 1000, "expired" as const),
  ]);
  if (outcome === "locked") return lockFile;
  throw new DatabaseError(
    `The embedded store "${options.dir}" stayed locked by another dpo process for ` +
      `${options.lockTimeoutSeconds} s: retry later or raise --connect-timeout`,
  );
}

/**
 * PGlite runs a whole transaction without returning to the event loop, so a SIGINT or SIGTERM
 * that arrived while files were hashed would be handled only after the commit: let main.ts's
 * signal listeners run first. A signal reaches its listener over a few event-loop turns (the
 * I/O poll sees it, then its op completes), so one zero-delay turn is not always enough; a few
 * milliseconds are, and are nothing next to PGlite's own cost.
 */
function signalsFirst(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, SIGNAL_TURN_MS));
}

const SIGNAL_TURN_MS = 10;

function delay<T>(ms: number, value: T): Promise<T> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(value), ms);
    Deno.unrefTimer(timer);
  });
}
