/**
 * Applies and reverts migrations; the statements on dpo.schema_migrations live here, and what
 * differs between PostgreSQL and SQLite (the lock, the catalog, the version table) sits in
 * CATALOGS below.
 */
import { ConflictError, DatabaseError, UsageError } from "../errors.ts";
import type { Log } from "../log.ts";
import type { Dialect, Queryable, Store } from "./database.ts";
import {
  ALEMBIC_REVISIONS,
  loadAdoptions,
  loadMigrations,
  type Migration,
  migrationNames,
} from "./migration_files.ts";
import { isoText } from "./sql_text.ts";

/** The state of one migration in a database. */
export interface MigrationStatus {
  name: string;
  appliedOn: string | null;
  note: string | null;
}

// One key for every dpo process: concurrent upgrades queue behind it. The lock is
// transaction-scoped, so it also works through a transaction-pooling PgBouncer.
const MIGRATION_LOCK_KEY = 4_740_019_311;
const ADOPTED_FROM_PYTHON = "adopted from the Python DPO at alembic revision";

/** Brings the database to `target` ("head" or a revision), adopting a Python-tool database. */
export async function upgrade(store: Store, target: string, log: Log): Promise<string[]> {
  const migrations = loadMigrations(store.dialect);
  const targetIndex = target === "head"
    ? migrations.length - 1
    : findRevision(migrations, target, "db upgrade");
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

/** Reverts migrations down to `target`: a revision, "-N" steps or "base" (removes everything). */
export async function downgrade(store: Store, target: string, log: Log): Promise<string[]> {
  const migrations = loadMigrations(store.dialect);
  // Checked first: an unknown revision is a usage error even when there is nothing to revert.
  if (target !== "base" && !/^-\d+$/.test(target)) findRevision(migrations, target, "db downgrade");
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
export async function history(store: Queryable): Promise<MigrationStatus[]> {
  const migrations = loadMigrations(store.dialect);
  const rows = await versionTableExists(store)
    ? await store.query<{ version: string; applied_on: string; note: string | null }>(
      `SELECT version, ${
        isoText(store.dialect, "applied_on")
      } AS applied_on, note FROM dpo.schema_migrations`,
    )
    : [];
  const byName = new Map(rows.map((row) => [row.version, row]));
  return migrations.map((m) => ({
    name: m.name,
    appliedOn: byName.get(m.name)?.applied_on ?? null,
    note: byName.get(m.name)?.note ?? null,
  }));
}

/** The newest applied migration, the Python tool's revision when not yet adopted, or null. */
export async function currentRevision(store: Queryable): Promise<string | null> {
  if (await versionTableExists(store)) {
    const applied = await appliedNames(store);
    const names = migrationNames(store.dialect);
    return names.filter((name) => applied.has(name)).at(-1) ?? null;
  }
  const alembic = await CATALOGS[store.dialect].alembicRevision(store);
  return alembic === null ? null : `alembic ${alembic} (Python DPO; run "dpo db upgrade" to adopt)`;
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
    lockMigrations: lockPostgresMigrations,
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
    alembicRevision: postgresAlembicRevision,
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

/**
 * Takes the migration lock for the rest of the transaction. A process that has to wait says who
 * it waits for; a wait longer than lock_timeout (--statement-timeout) fails naming the holder.
 */
async function lockPostgresMigrations(tx: Queryable, log: Log): Promise<void> {
  const [{ locked }] = await tx.query<{ locked: boolean }>(
    "SELECT pg_try_advisory_xact_lock($1::bigint) AS locked",
    [MIGRATION_LOCK_KEY],
  );
  if (locked) return;
  const holder = await migrationLockHolder(tx);
  const heldBy = holder ? `; the lock is held by ${describeHolder(holder)}` : "";
  log.info(`Waiting for another dpo process that is migrating this database${heldBy}`);
  // A timed-out wait aborts the transaction; the savepoint keeps it usable to name the holder.
  await tx.exec("SAVEPOINT dpo_migration_lock");
  try {
    await tx.query("SELECT pg_advisory_xact_lock($1::bigint)", [MIGRATION_LOCK_KEY]);
  } catch (error) {
    if (!LOCK_WAIT_EXPIRED.has((error as { code?: unknown })?.code as string)) throw error;
    await tx.exec("ROLLBACK TO SAVEPOINT dpo_migration_lock");
    const [{ bound }] = await tx.query<{ bound: string }>(
      "SELECT current_setting('lock_timeout') AS bound",
    );
    const current = await migrationLockHolder(tx);
    throw new DatabaseError(
      `Cannot take the migration lock within ${bound}: ` +
        (current
          ? `it is held by ${describeHolder(current)}; let that process finish, or raise ` +
            "--statement-timeout"
          : "its holder has just released it; run the command again"),
      { cause: error },
    );
  }
  await tx.exec("RELEASE SAVEPOINT dpo_migration_lock");
}

// lock_timeout (55P03) or statement_timeout (57014): both are set to --statement-timeout, and
// either may fire first.
const LOCK_WAIT_EXPIRED = new Set(["55P03", "57014"]);

interface LockHolder {
  pid: number;
  application_name: string | null;
  usename: string | null;
}

/**
 * The session holding the migration lock, from pg_locks and pg_stat_activity (whose
 * application_name every role may read), or null once it is gone. A bigint advisory key shows
 * in pg_locks as classid = its high 32 bits, objid = its low 32 bits and objsubid = 1.
 */
async function migrationLockHolder(tx: Queryable): Promise<LockHolder | null> {
  const rows = await tx.query<LockHolder>(
    `SELECT a.pid, a.application_name, a.usename
     FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
     WHERE l.locktype = 'advisory' AND l.granted AND l.pid <> pg_backend_pid()
       AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
       AND l.classid = ($1::bigint >> 32)::oid AND l.objid = ($1::bigint & 4294967295)::oid
       AND l.objsubid = 1
     LIMIT 1`,
    [MIGRATION_LOCK_KEY],
  );
  return rows[0] ?? null;
}

function describeHolder(holder: LockHolder): string {
  const name = holder.application_name
    ? `"${holder.application_name}"`
    : "a session without application_name";
  return `${name} (pid ${holder.pid}${holder.usename ? `, user "${holder.usename}"` : ""})`;
}

async function readOrCreateVersionTable(
  tx: Queryable,
  migrations: Migration[],
  log: Log,
): Promise<Set<string>> {
  if (await versionTableExists(tx)) return await appliedNames(tx);
  const pythonRevision = await CATALOGS[tx.dialect].alembicRevision(tx);
  await CATALOGS[tx.dialect].createVersionTable(tx);
  if (pythonRevision === null) return new Set();
  await adoptPythonDatabase(tx, pythonRevision, migrations[0]);
  log.info(`Adopted the Python DPO's database at alembic revision ${pythonRevision}`);
  return new Set([migrations[0].name]);
}

async function adoptPythonDatabase(
  tx: Queryable,
  pythonRevision: string,
  first: Migration,
): Promise<void> {
  if (!(ALEMBIC_REVISIONS as readonly string[]).includes(pythonRevision)) {
    throw new ConflictError(
      `The database is at alembic revision "${pythonRevision}", which the Python DPO never had: ` +
        "restore its schema or use an empty database",
    );
  }
  const adoptions = await loadAdoptions(pythonRevision);
  for (const adoption of adoptions) await tx.exec(adoption.beforeFirst);
  const lastRevision = ALEMBIC_REVISIONS[ALEMBIC_REVISIONS.length - 1];
  if (pythonRevision !== lastRevision) await tx.exec(first.up);
  for (const adoption of adoptions) await tx.exec(adoption.afterFirst);
  await tx.query("INSERT INTO dpo.schema_migrations (version, note) VALUES ($1, $2)", [
    first.name,
    `${ADOPTED_FROM_PYTHON} ${pythonRevision}`,
  ]);
  // The tables now match the Python tool's last revision, so it can still be swapped back in.
  await tx.query("UPDATE public.alembic_version_dpo SET version_num = $1", [lastRevision]);
}

/** Drops dpo's version table and schema; true when the Python tool's version table went too. */
async function dropEmptyPostgresSchema(tx: Queryable): Promise<boolean> {
  await tx.exec("DROP TABLE dpo.schema_migrations");
  const droppedAlembicTable = await postgresAlembicRevision(tx) !== null;
  if (droppedAlembicTable) await tx.exec("DROP TABLE public.alembic_version_dpo");
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

async function postgresAlembicRevision(db: Queryable): Promise<string | null> {
  const [{ exists }] = await db.query<{ exists: boolean }>(
    "SELECT to_regclass('public.alembic_version_dpo') IS NOT NULL AS exists",
  );
  if (!exists) return null;
  const rows = await db.query<{ version_num: string }>(
    "SELECT version_num FROM public.alembic_version_dpo",
  );
  return rows[0]?.version_num ?? null;
}

function findRevision(migrations: Migration[], revision: string, command: string): number {
  const index = migrations.findIndex((m) => m.revision === revision || m.name === revision);
  if (index === -1) {
    throw new UsageError(
      `Revision "${revision}" is not known to ${command}: see "dpo db history" for the revisions`,
    );
  }
  return index;
}

function keptCount(applied: Migration[], all: Migration[], target: string): number {
  if (target === "base") return 0;
  const steps = target.match(/^-(\d+)$/);
  if (steps) return Math.max(0, applied.length - Number(steps[1]));
  const index = findRevision(all, target, "db downgrade");
  return applied.filter((m) => all.indexOf(m) <= index).length;
}
