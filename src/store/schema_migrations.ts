/**
 * Every statement on dpo.schema_migrations, dbmate's version table (one row per applied
 * migration), on both stores; and the newest migration dpo ships, which every command on the
 * embedded store checks for without reading migrations/ (migrate.ts is loaded only when one is
 * due: the check is ~0.8 ms lighter, measured).
 */
import type { Dialect, Queryable } from "./database.ts";
import { isoText } from "./sql_text.ts";

/**
 * The newest migration in migrations/ and migrations/sqlite/ (the same names on both stores);
 * tests/unit/schema_migrations_test.ts fails when a new migration is added without it.
 */
export const HEAD_MIGRATION = "0003_pipelines_and_failures";

/** One applied migration as the table keeps it. */
export interface AppliedMigration {
  version: string;
  appliedOn: string;
  note: string | null;
}

const CREATE_TABLE: Record<Dialect, string> = {
  postgres: `CREATE TABLE dpo.schema_migrations (
    version character varying(100) NOT NULL PRIMARY KEY,
    applied_on timestamp with time zone DEFAULT now() NOT NULL,
    note text
  )`,
  sqlite: `CREATE TABLE dpo.schema_migrations (
    version text NOT NULL PRIMARY KEY,
    applied_on text DEFAULT (strftime('%Y-%m-%dT%H:%M:%f000+00:00', 'now')) NOT NULL,
    note text
  )`,
};

const TABLE_EXISTS: Record<Dialect, string> = {
  postgres: "SELECT to_regclass('dpo.schema_migrations') IS NOT NULL AS found",
  sqlite: `SELECT count(*) > 0 AS found FROM dpo.sqlite_master
    WHERE type = 'table' AND name = 'schema_migrations'`,
};

export async function versionTableExists(db: Queryable): Promise<boolean> {
  const [{ found }] = await db.query<{ found: boolean | number }>(TABLE_EXISTS[db.dialect]);
  return Boolean(found);
}

/** Creates the table (its schema dpo, on PostgreSQL, is the caller's). */
export async function createVersionTable(tx: Queryable): Promise<void> {
  await tx.exec(CREATE_TABLE[tx.dialect]);
}

export async function dropVersionTable(tx: Queryable): Promise<void> {
  await tx.exec("DROP TABLE dpo.schema_migrations");
}

export async function appliedMigrationNames(db: Queryable): Promise<Set<string>> {
  const rows = await db.query<{ version: string }>("SELECT version FROM dpo.schema_migrations");
  return new Set(rows.map((row) => row.version));
}

/** Every applied migration with when, as ISO text. */
export async function appliedMigrations(db: Queryable): Promise<AppliedMigration[]> {
  const rows = await db.query<{ version: string; applied_on: string; note: string | null }>(
    `SELECT version, ${isoText(db.dialect, "applied_on")} AS applied_on, note
     FROM dpo.schema_migrations`,
  );
  return rows.map((row) => ({ version: row.version, appliedOn: row.applied_on, note: row.note }));
}

/** Records a migration as applied now (in the transaction's time), with an optional note. */
export async function recordMigration(tx: Queryable, name: string, note?: string): Promise<void> {
  await tx.query(
    "INSERT INTO dpo.schema_migrations (version, applied_on, note) VALUES ($1, now(), $2)",
    [name, note ?? null],
  );
}

export async function forgetMigration(tx: Queryable, name: string): Promise<void> {
  await tx.query("DELETE FROM dpo.schema_migrations WHERE version = $1", [name]);
}

/**
 * Whether the store has the newest migration dpo ships: two reads, which never wait for a
 * writer. Migrations apply in order, so the newest one applied means all of them are.
 */
export async function hasHeadMigration(db: Queryable): Promise<boolean> {
  if (!await versionTableExists(db)) return false;
  const [{ found }] = await db.query<{ found: number | boolean }>(
    "SELECT count(*) > 0 AS found FROM dpo.schema_migrations WHERE version = $1",
    [HEAD_MIGRATION],
  );
  return Boolean(found);
}
