/**
 * Applies and reverts migrations as dbmate does, one SQL file each, all of a run in one
 * transaction; the version table's statements live in schema_migrations.ts, and what else differs
 * between PostgreSQL and SQLite (the lock, the catalog) sits in CATALOGS below. A database the
 * Python tool created is adopted on its first upgrade (python_adoption.ts).
 */
import { asTimestamp, type Revision } from "../domain.ts";
import type { Log } from "../log.ts";
import type { Dialect, Queryable, Store } from "./database.ts";
import { loadMigrations, type Migration, migrationNames } from "./migration_files.ts";
import { importLazily } from "../lazy_import.ts";
import {
  appliedMigrationNames,
  appliedMigrations,
  createVersionTable,
  dropVersionTable,
  forgetMigration,
  recordMigration,
  versionTableExists,
} from "./schema_migrations.ts";

// The lock and the Python tool's adoption are loaded only when a PostgreSQL schema is migrated
// or inspected: every command opens its store through this module, few of them migrate.
const lockModule = () =>
  importLazily<typeof import("./migration_lock.ts")>("./migration_lock.ts", import.meta.url);
const adoptionModule = () =>
  importLazily<typeof import("./python_adoption.ts")>("./python_adoption.ts", import.meta.url);

/** Whether dpo ships a migration of this revision ("0002") or name ("0002_…"). */
export function isKnownRevision(dialect: Dialect, revision: string): boolean {
  return revisionIndex(loadMigrations(dialect), revision) !== -1;
}

/** Brings the database to `target` ("head" or a known revision), adopting a Python-tool one. */
export async function upgrade(store: Store, target: string, log: Log): Promise<string[]> {
  const migrations = loadMigrations(store.dialect);
  const targetIndex = target === "head"
    ? migrations.length - 1
    : requireRevision(migrations, target);
  const appliedNames = await store.transaction(async (tx) => {
    await CATALOGS[tx.dialect].lockMigrations(tx, log);
    const applied = await readOrCreateVersionTable(tx, migrations, log);
    const names: string[] = [];
    for (const migration of migrations.slice(0, targetIndex + 1)) {
      if (applied.has(migration.name)) continue;
      await tx.exec(migration.up);
      await recordMigration(tx, migration.name);
      names.push(migration.name);
    }
    return names;
  });
  // Logged once committed: the run is one transaction, so a later failure undoes every step.
  for (const name of appliedNames) log.info(`Applied migration ${name}`);
  if (appliedNames.length === 0) log.info("The database is already at the requested revision");
  return appliedNames;
}

/**
 * Reverts migrations down to `target`: a known revision, "-N" steps or "base" (removes
 * everything, the Python tool's version table included).
 */
export async function downgrade(store: Store, target: string, log: Log): Promise<string[]> {
  const migrations = loadMigrations(store.dialect);
  let droppedAlembicTable = false;
  const revertedNames = await store.transaction(async (tx) => {
    await CATALOGS[tx.dialect].lockMigrations(tx, log);
    if (!await versionTableExists(tx)) {
      log.info("The database has no dpo schema: nothing to downgrade");
      return [];
    }
    const applied = await appliedMigrationNames(tx);
    const appliedInOrder = migrations.filter((m) => applied.has(m.name));
    const keep = keptCount(appliedInOrder, migrations, target);
    const reverted: string[] = [];
    for (const migration of appliedInOrder.slice(keep).reverse()) {
      await tx.exec(migration.down);
      await forgetMigration(tx, migration.name);
      reverted.push(migration.name);
    }
    if (keep === 0) droppedAlembicTable = await CATALOGS[tx.dialect].dropEmptySchema(tx);
    return reverted;
  });
  // Logged once committed, as upgrade() does.
  for (const name of revertedNames) log.info(`Reverted migration ${name}`);
  if (droppedAlembicTable) {
    log.info("Dropped the Python DPO's version table public.alembic_version_dpo");
  }
  return revertedNames;
}

/** Every migration with when it was applied (null when pending), oldest first. */
export async function revisionHistory(store: Queryable): Promise<Revision[]> {
  const migrations = loadMigrations(store.dialect);
  const rows = await versionTableExists(store) ? await appliedMigrations(store) : [];
  const byName = new Map(rows.map((row) => [row.version, row]));
  return migrations.map((m) => {
    const row = byName.get(m.name);
    return {
      name: m.name,
      appliedOn: row === undefined ? null : asTimestamp(row.appliedOn),
      note: row?.note ?? null,
    };
  });
}

/**
 * The newest applied migration, or (before dpo's version table exists) the Python tool's alembic
 * revision; both null on an empty database.
 */
export async function currentRevision(
  store: Queryable,
): Promise<{ migration: string | null; alembic: string | null }> {
  if (await versionTableExists(store)) {
    const applied = await appliedMigrationNames(store);
    const names = migrationNames(store.dialect);
    return { migration: names.filter((name) => applied.has(name)).at(-1) ?? null, alembic: null };
  }
  return { migration: null, alembic: await CATALOGS[store.dialect].alembicRevision(store) };
}

/** What a migration run asks of the database, written once per dialect. */
interface Catalog {
  /** Serialises migration runs for the rest of the transaction. */
  lockMigrations(tx: Queryable, log: Log): Promise<void>;
  /** Makes room for dpo.schema_migrations: schema dpo, where there are schemas. */
  prepareSchema(tx: Queryable): Promise<void>;
  /** The Python tool's alembic revision, or null: only a PostgreSQL database can have one. */
  alembicRevision(db: Queryable): Promise<string | null>;
  /** Drops the version table and what is left of dpo; true when alembic's table went too. */
  dropEmptySchema(tx: Queryable): Promise<boolean>;
}

const CATALOGS: Record<Dialect, Catalog> = {
  postgres: {
    lockMigrations: async (tx, log) => (await lockModule()).lockPostgresMigrations(tx, log),
    prepareSchema: async (tx) => {
      const [{ exists: schemaExists }] = await tx.query<{ exists: boolean }>(
        "SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = 'dpo') AS exists",
      );
      // CREATE SCHEMA IF NOT EXISTS still needs CREATE on the database, which a runtime role lacks.
      if (!schemaExists) await tx.exec("CREATE SCHEMA dpo");
    },
    alembicRevision: async (db) => (await adoptionModule()).alembicRevision(db),
    dropEmptySchema: dropEmptyPostgresSchema,
  },
  sqlite: {
    // BEGIN IMMEDIATE, which opened the transaction, holds the whole store already.
    lockMigrations: () => Promise.resolve(),
    // The store file is the schema.
    prepareSchema: () => Promise.resolve(),
    alembicRevision: () => Promise.resolve(null),
    dropEmptySchema: async (tx) => {
      await dropVersionTable(tx);
      return false;
    },
  },
};

async function readOrCreateVersionTable(
  tx: Queryable,
  migrations: Migration[],
  log: Log,
): Promise<Set<string>> {
  if (await versionTableExists(tx)) return await appliedMigrationNames(tx);
  const pythonRevision = await CATALOGS[tx.dialect].alembicRevision(tx);
  await CATALOGS[tx.dialect].prepareSchema(tx);
  await createVersionTable(tx);
  if (pythonRevision === null) return new Set();
  await (await adoptionModule()).adoptPythonDatabase(tx, pythonRevision, migrations[0]);
  log.info(`Adopted the Python DPO's database at alembic revision ${pythonRevision}`);
  return new Set([migrations[0].name]);
}

/** Drops dpo's version table and schema; true when the Python tool's version table went too. */
async function dropEmptyPostgresSchema(tx: Queryable): Promise<boolean> {
  await dropVersionTable(tx);
  const droppedAlembicTable = await (await adoptionModule()).dropAlembicVersionTable(tx);
  const [{ count }] = await tx.query<{ count: string }>(
    `SELECT count(*)::text AS count FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = 'dpo'`,
  );
  if (count === "0") await tx.exec("DROP SCHEMA dpo");
  return droppedAlembicTable;
}

function revisionIndex(migrations: Migration[], revision: string): number {
  return migrations.findIndex((m) => m.revision === revision || m.name === revision);
}

// The service checks revisions first (isKnownRevision): an unknown one here is a programming error.
function requireRevision(migrations: Migration[], revision: string): number {
  const index = revisionIndex(migrations, revision);
  if (index === -1) throw new RangeError(`Revision "${revision}" is not a migration of dpo`);
  return index;
}

function keptCount(applied: Migration[], all: Migration[], target: string): number {
  if (target === "base") return 0;
  const steps = target.match(/^-(\d+)$/);
  if (steps) return Math.max(0, applied.length - Number(steps[1]));
  const index = requireRevision(all, target);
  return applied.filter((m) => all.indexOf(m) <= index).length;
}
