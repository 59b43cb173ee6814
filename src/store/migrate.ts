/**
 * Applies and reverts migrations as dbmate does, one SQL file each, all of a run in one
 * transaction; the statements on dpo.schema_migrations live here, and what differs between
 * PostgreSQL and SQLite (the lock, the catalog, the version table) sits in CATALOGS below. A
 * database the Python tool created is adopted on its first upgrade (python_adoption.ts).
 */
import { asTimestamp, type Revision } from "../domain.ts";
import type { Log } from "../log.ts";
import type { Dialect, Queryable, Store } from "./database.ts";
import { loadMigrations, type Migration, migrationNames } from "./migration_files.ts";
import { isoText } from "./sql_text.ts";

// The lock and the Python tool's adoption are loaded only when a PostgreSQL schema is migrated
// or inspected: every command opens its store through this module, few of them migrate.
const lockModule = () => import("./migration_lock.ts");
const adoptionModule = () => import("./python_adoption.ts");

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
      await tx.query(
        "INSERT INTO dpo.schema_migrations (version, applied_on) VALUES ($1, now())",
        [migration.name],
      );
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
 * True when every migration up to `target` ("head" or a revision) is applied: one read, which
 * never waits for a writer, so that the embedded store checks its schema on every command.
 */
export async function isAtRevision(store: Queryable, target: string): Promise<boolean> {
  const names = migrationNames(store.dialect);
  const wanted = target === "head" ? names : names.slice(0, names.indexOf(target) + 1);
  if (!await versionTableExists(store)) return false;
  const applied = await appliedNames(store);
  return wanted.every((name) => applied.has(name));
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
    const applied = await appliedNames(tx);
    const appliedInOrder = migrations.filter((m) => applied.has(m.name));
    const keep = keptCount(appliedInOrder, migrations, target);
    const reverted: string[] = [];
    for (const migration of appliedInOrder.slice(keep).reverse()) {
      await tx.exec(migration.down);
      await tx.query("DELETE FROM dpo.schema_migrations WHERE version = $1", [migration.name]);
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
  const rows = await versionTableExists(store)
    ? await store.query<{ version: string; applied_on: string; note: string | null }>(
      `SELECT version, ${
        isoText(store.dialect, "applied_on")
      } AS applied_on, note FROM dpo.schema_migrations`,
    )
    : [];
  const byName = new Map(rows.map((row) => [row.version, row]));
  return migrations.map((m) => {
    const row = byName.get(m.name);
    return {
      name: m.name,
      appliedOn: row === undefined ? null : asTimestamp(row.applied_on),
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
    const applied = await appliedNames(store);
    const names = migrationNames(store.dialect);
    return { migration: names.filter((name) => applied.has(name)).at(-1) ?? null, alembic: null };
  }
  return { migration: null, alembic: await CATALOGS[store.dialect].alembicRevision(store) };
}

/** The name of the newest migration dpo ships (the same on both stores). */
export function headRevision(): string {
  return migrationNames("postgres").at(-1)!;
}

/** What a migration run asks of the database, written once per dialect. */
interface Catalog {
  /** Serialises migration runs for the rest of the transaction. */
  lockMigrations(tx: Queryable, log: Log): Promise<void>;
  versionTableExists(db: Queryable): Promise<boolean>;
  /** Creates dpo.schema_migrations (and schema dpo where there are schemas). */
  createVersionTable(tx: Queryable): Promise<void>;
  /** The Python tool's alembic revision, or null: only a PostgreSQL database can have one. */
  alembicRevision(db: Queryable): Promise<string | null>;
  /** Drops the version table and what is left of dpo; true when alembic's table went too. */
  dropEmptySchema(tx: Queryable): Promise<boolean>;
}

const CATALOGS: Record<Dialect, Catalog> = {
  postgres: {
    lockMigrations: async (tx, log) => (await lockModule()).lockPostgresMigrations(tx, log),
    versionTableExists: async (db) => {
      const [{ exists }] = await db.query<{ exists: boolean }>(
        "SELECT to_regclass('dpo.schema_migrations') IS NOT NULL AS exists",
      );
      return exists;
    },
    createVersionTable: async (tx) => {
      const [{ exists: schemaExists }] = await tx.query<{ exists: boolean }>(
        "SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = 'dpo') AS exists",
      );
      // CREATE SCHEMA IF NOT EXISTS still needs CREATE on the database, which a runtime role lacks.
      if (!schemaExists) await tx.exec("CREATE SCHEMA dpo");
      await tx.exec(`CREATE TABLE dpo.schema_migrations (
        version character varying(100) NOT NULL PRIMARY KEY,
        applied_on timestamp with time zone DEFAULT now() NOT NULL,
        note text
      )`);
    },
    alembicRevision: async (db) => (await adoptionModule()).alembicRevision(db),
    dropEmptySchema: dropEmptyPostgresSchema,
  },
  sqlite: {
    // BEGIN IMMEDIATE, which opened the transaction, holds the whole store already.
    lockMigrations: () => Promise.resolve(),
    versionTableExists: async (db) => {
      const [{ found }] = await db.query<{ found: number }>(
        `SELECT count(*) AS found FROM dpo.sqlite_master
         WHERE type = 'table' AND name = 'schema_migrations'`,
      );
      return found > 0;
    },
    createVersionTable: async (tx) => {
      await tx.exec(`CREATE TABLE dpo.schema_migrations (
        version text NOT NULL PRIMARY KEY,
        applied_on text DEFAULT (strftime('%Y-%m-%dT%H:%M:%f000+00:00', 'now')) NOT NULL,
        note text
      )`);
    },
    alembicRevision: () => Promise.resolve(null),
    dropEmptySchema: async (tx) => {
      await tx.exec("DROP TABLE dpo.schema_migrations");
      return false;
    },
  },
};

async function readOrCreateVersionTable(
  tx: Queryable,
  migrations: Migration[],
  log: Log,
): Promise<Set<string>> {
  if (await versionTableExists(tx)) return await appliedNames(tx);
  const pythonRevision = await CATALOGS[tx.dialect].alembicRevision(tx);
  await CATALOGS[tx.dialect].createVersionTable(tx);
  if (pythonRevision === null) return new Set();
  await (await adoptionModule()).adoptPythonDatabase(tx, pythonRevision, migrations[0]);
  log.info(`Adopted the Python DPO's database at alembic revision ${pythonRevision}`);
  return new Set([migrations[0].name]);
}

/** Drops dpo's version table and schema; true when the Python tool's version table went too. */
async function dropEmptyPostgresSchema(tx: Queryable): Promise<boolean> {
  await tx.exec("DROP TABLE dpo.schema_migrations");
  const droppedAlembicTable = await (await adoptionModule()).dropAlembicVersionTable(tx);
  const [{ count }] = await tx.query<{ count: string }>(
    `SELECT count(*)::text AS count FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = 'dpo'`,
  );
  if (count === "0") await tx.exec("DROP SCHEMA dpo");
  return droppedAlembicTable;
}

function versionTableExists(db: Queryable): Promise<boolean> {
  return CATALOGS[db.dialect].versionTableExists(db);
}

async function appliedNames(db: Queryable): Promise<Set<string>> {
  const rows = await db.query<{ version: string }>("SELECT version FROM dpo.schema_migrations");
  return new Set(rows.map((row) => row.version));
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
