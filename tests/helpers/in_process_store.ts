/**
 * dpo's store code in-process, as a command opens a store: for the integration tests, and for
 * arranging or migrating the stores the e2e tests run dpo on, at the cost of a function call
 * rather than a dpo process.
 */
import type { Log } from "../../src/log.ts";
import { upgradeSchema } from "../../src/service/schema.ts";
import type { Store } from "../../src/store/database.ts";
import { openPostgresStore } from "../../src/store/postgres_store.ts";
import { openSqliteStore } from "../../src/store/sqlite_store.ts";
import { parsePostgresUrl } from "../../src/postgres_url.ts";
import type { StoreKind } from "./pipeline.ts";

/** What the code under test logged, by level, and the Log that records it. */
export interface RecordingLog extends Log {
  warnings: string[];
  infos: string[];
}

/** A Log that keeps warnings and infos (and drops debug lines) for the test to read. */
export function recordingLog(): RecordingLog {
  const warnings: string[] = [];
  const infos: string[] = [];
  return {
    warnings,
    infos,
    debug: () => {},
    info: (text) => infos.push(text),
    warn: (text) => warnings.push(text),
    error: (text) => warnings.push(`ERROR: ${text}`),
  };
}

const quietLog = recordingLog();

/**
 * dpo's store in-process on a PostgreSQL URL (libpq's PG* variables ignored) or a SQLite file,
 * as a command opens it; close it when done.
 */
export async function openStoreAt(kind: StoreKind, urlOrPath: string): Promise<Store> {
  if (kind === "SQLite") {
    return openSqliteStore({ path: urlOrPath, busyTimeoutSeconds: 10, log: quietLog });
  }
  return await openPostgresStore({
    settings: parsePostgresUrl(urlOrPath, () => undefined),
    connectTimeoutSeconds: 10,
    statementTimeoutSeconds: 60,
    log: quietLog,
  });
}

/** Migrates the store at a PostgreSQL URL or SQLite path to head, as `dpo db upgrade` does. */
export async function migrateStoreAt(kind: StoreKind, urlOrPath: string): Promise<void> {
  const store = await openStoreAt(kind, urlOrPath);
  try {
    await upgradeSchema(store, "head", quietLog);
  } finally {
    await store.close();
  }
}
