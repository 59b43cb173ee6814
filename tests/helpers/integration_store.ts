/**
 * Stores for the integration tests: dpo's service and store code called in-process (no
 * subprocess) on a fresh, migrated PostgreSQL database of the test server or a fresh SQLite file.
 */
import type { Log } from "../../src/log.ts";
import type { Store } from "../../src/store/database.ts";
import { upgradeSchema } from "../../src/service/schema.ts";
import { recordStep } from "../../src/service/steps.ts";
import { temporaryFolder, writeModels } from "./model_tree.ts";
import { createTestDatabase } from "./postgres_server.ts";
import { openStoreAt, recordingLog } from "./in_process_store.ts";
import type { StoreKind } from "./pipeline.ts";

export { STORE_KINDS, type StoreKind } from "./pipeline.ts";
export { openStoreAt, type RecordingLog, recordingLog } from "./in_process_store.ts";

/** An open, migrated store of one kind; `await using` closes it and drops its database or file. */
export interface IntegrationStore {
  kind: StoreKind;
  store: Store;
  [Symbol.asyncDispose](): Promise<void>;
}

const quietLog = recordingLog();

/**
 * A store, migrated unless `migrated` is false: a PostgreSQL database collated by ICU en-US
 * (where code-point order differs from the locale's) opened through dpo's postgres.js store, or a
 * SQLite file in a temporary folder.
 */
export async function openIntegrationStore(
  kind: StoreKind,
  options: { migrated?: boolean } = {},
): Promise<IntegrationStore> {
  const opened = kind === "PostgreSQL" ? await openPostgres() : await openSqlite();
  try {
    if (options.migrated !== false) await upgradeSchema(opened.store, "head", quietLog);
  } catch (error) {
    await opened[Symbol.asyncDispose]();
    throw error;
  }
  return { kind, ...opened };
}

async function openPostgres(): Promise<Omit<IntegrationStore, "kind">> {
  const db = await createTestDatabase({ collation: "icu-en-US" });
  let store: Store;
  try {
    store = await openStoreAt("PostgreSQL", db.url);
  } catch (error) {
    await db[Symbol.asyncDispose]();
    throw error;
  }
  return {
    store,
    async [Symbol.asyncDispose]() {
      try {
        await store.close();
      } finally {
        await db[Symbol.asyncDispose]();
      }
    },
  };
}

async function openSqlite(): Promise<Omit<IntegrationStore, "kind">> {
  const folder = await temporaryFolder();
  let store: Store;
  try {
    store = await openStoreAt("SQLite", `${folder.path}/dpo.sqlite`);
  } catch (error) {
    await folder[Symbol.asyncDispose]();
    throw error;
  }
  return {
    store,
    async [Symbol.asyncDispose]() {
      try {
        await store.close();
      } finally {
        await folder[Symbol.asyncDispose]();
      }
    },
  };
}

/**
 * Declares one Deno.test per store kind, named "<name>, on PostgreSQL" and "…, on SQLite", each
 * with its own fresh store.
 */
export function testOnEachStore(
  name: string,
  scenario: (store: Store, kind: StoreKind) => Promise<void>,
): void {
  for (const kind of ["PostgreSQL", "SQLite"] as const) {
    Deno.test(`${name}, on ${kind}`, async () => {
      await using opened = await openIntegrationStore(kind);
      await scenario(opened.store, kind);
    });
  }
}

/**
 * Records a step through recordStep() with `files` (`{ "a.sql": "select 1;\n" }`) written to a
 * fresh folder as its models; returns the step id. The folder is removed afterwards: a step's
 * checksums are stored with it.
 */
export async function recordModels(
  store: Store,
  step: { executionId: string; stepName: string },
  files: Record<string, string>,
  log: Log = quietLog,
): Promise<string> {
  await using folder = await temporaryFolder();
  await writeModels(folder.path, files);
  const recorded = await recordStep(
    store,
    { ...step, basePath: folder.path, patterns: ["**/*"] },
    log,
  );
  return recorded.stepId;
}
