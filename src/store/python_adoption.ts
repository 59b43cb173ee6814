/**
 * Adopting a database the Python tool created with Alembic: its version table
 * public.alembic_version_dpo says which of its revisions the tables are at, and migrations/python/
 * holds what brings each revision to dpo's first migration.
 */
import { ConflictError } from "../errors.ts";
import type { Queryable } from "./database.ts";
import { ALEMBIC_REVISIONS, loadAdoptions, type Migration } from "./migration_files.ts";
import { recordMigration } from "./schema_migrations.ts";

const ADOPTED_FROM_PYTHON = "adopted from the Python DPO at alembic revision";

/** The Python tool's alembic revision of a PostgreSQL database, or null when it has none. */
export async function alembicRevision(db: Queryable): Promise<string | null> {
  const [{ exists }] = await db.query<{ exists: boolean }>(
    "SELECT to_regclass('public.alembic_version_dpo') IS NOT NULL AS exists",
  );
  if (!exists) return null;
  const rows = await db.query<{ version_num: string }>(
    "SELECT version_num FROM public.alembic_version_dpo",
  );
  return rows[0]?.version_num ?? null;
}

/**
 * Brings a Python-tool database at `pythonRevision` to dpo's first migration and records that
 * migration as adopted, in the caller's transaction; dpo's version table exists already.
 */
export async function adoptPythonDatabase(
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
  await recordMigration(tx, first.name, `${ADOPTED_FROM_PYTHON} ${pythonRevision}`);
  // The tables now match the Python tool's last revision, so it can still be swapped back in.
  await tx.query("UPDATE public.alembic_version_dpo SET version_num = $1", [lastRevision]);
}

/** Drops the Python tool's version table, if any, once dpo's schema is gone; true when it was. */
export async function dropAlembicVersionTable(tx: Queryable): Promise<boolean> {
  if (await alembicRevision(tx) === null) return false;
  await tx.exec("DROP TABLE public.alembic_version_dpo");
  return true;
}
