/**
 * Opens the store a command names (creating the embedded one, or bringing an earlier one to the
 * newest schema), and turns the drivers' failures into StoreErrors, which the CLI words
 * (cli/store_errors.ts).
 */
import type { StoreTarget } from "../config.ts";
import type { Log } from "../log.ts";
import type { Store } from "./database.ts";
import { importLazily } from "../lazy_import.ts";
// The embedded store's driver is node:sqlite, built into Deno: loaded with this module, since a
// dynamic import costs the light commands more (~1 ms, measured) than node:sqlite costs the others
// (~1.5 ms of a PostgreSQL command's ~180). PostgreSQL's driver, an npm package, loads on demand.
import { openSqliteStore } from "./sqlite_store.ts";
import { exists, fileNameOf, folderEntries } from "./sqlite_file_checks.ts";
import { hasHeadMigration } from "./schema_migrations.ts";

// Loaded only when the embedded store is created or behind: every command opens its store
// through this module, few of them migrate.
const migrations = () =>
  importLazily<typeof import("./migrate.ts")>("./migrate.ts", import.meta.url);

export interface OpenOptions {
  connectTimeoutSeconds: number;
  statementTimeoutSeconds: number;
  log: Log;
  /**
   * The embedded store is created on first use and an earlier one migrated on open; a server is
   * migrated explicitly (db upgrade).
   */
  migrateEmbedded?: boolean;
}

/** Runs `work` with an open store and always closes it, so the process can exit. */
export async function withStore<T>(
  target: StoreTarget,
  options: OpenOptions,
  work: (store: Store) => Promise<T>,
): Promise<T> {
  let store: Store | undefined;
  try {
    store = await openStore(target, options);
    // Two reads on every command; a write transaction only when a migration is due.
    if (
      store.dialect === "sqlite" && options.migrateEmbedded !== false &&
      !await hasHeadMigration(store)
    ) {
      await (await migrations()).upgrade(store, "head", quietLog(options.log));
    }
    return await work(store);
  } catch (error) {
    // Loaded only on this path: a command that succeeds never needs it.
    const { asStoreError } = await importLazily<typeof import("./store_error.ts")>(
      "./store_error.ts",
      import.meta.url,
    );
    throw asStoreError(error, options.statementTimeoutSeconds);
  } finally {
    await store?.close().catch(() => {});
  }
}

async function openStore(target: StoreTarget, options: OpenOptions): Promise<Store> {
  if (target.kind === "sqlite") {
    // The store's folder is listed (and made) only when the store is not there: a listing costs
    // as much as the folder is large, and this lookup does not throw when the store exists.
    if (options.migrateEmbedded !== false && !exists(target.path)) {
      const entries = folderEntries(target.path);
      if (!entries?.has(fileNameOf(target.path))) await createStore(target, entries);
    }
    return openSqliteStore({
      path: target.path,
      busyTimeoutSeconds: options.connectTimeoutSeconds,
      log: options.log,
    });
  }
  const { openPostgresStore } = await importLazily<typeof import("./postgres_store.ts")>(
    "./postgres_store.ts",
    import.meta.url,
  );
  return await openPostgresStore({
    settings: target.settings,
    connectTimeoutSeconds: options.connectTimeoutSeconds,
    statementTimeoutSeconds: options.statementTimeoutSeconds,
    log: options.log,
  });
}

/** Creates the embedded store (whole, or leaves another process's), at the head migration. */
async function createStore(
  target: StoreTarget & { kind: "sqlite" },
  entries: ReadonlySet<string> | undefined,
): Promise<void> {
  const { createSqliteStore } = await importLazily<typeof import("./sqlite_creation.ts")>(
    "./sqlite_creation.ts",
    import.meta.url,
  );
  createSqliteStore(target.path, { folderEntries: entries });
}

// Migrating the embedded store on every open would otherwise log at INFO on every command.
function quietLog(log: Log): Log {
  return { ...log, info: log.debug };
}
