/** The lock that makes dpo processes migrate a PostgreSQL database one at a time. */
import type { Log } from "../log.ts";
import type { Queryable } from "./database.ts";
import { type LockHolder, StoreError } from "./store_error.ts";

// One key for every dpo process: concurrent upgrades queue behind it. The lock is
// transaction-scoped, so it also works through a transaction-pooling PgBouncer.
const MIGRATION_LOCK_KEY = 4_740_019_311;

// lock_timeout (55P03) or statement_timeout (57014): both are set to the statement timeout, and
// either may fire first.
const LOCK_WAIT_EXPIRED = new Set(["55P03", "57014"]);

/**
 * Takes the migration lock for the rest of the transaction. A process that has to wait says who
 * it waits for; a wait longer than lock_timeout fails naming the holder.
 */
export async function lockPostgresMigrations(tx: Queryable, log: Log): Promise<void> {
  const [{ locked }] = await tx.query<{ locked: boolean }>(
    "SELECT pg_try_advisory_xact_lock($1::bigint) AS locked",
    [MIGRATION_LOCK_KEY],
  );
  if (locked) return;
  const holder = await migrationLockHolder(tx);
  const heldBy = holder ? `; the lock is held by ${describeLockHolder(holder)}` : "";
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
    throw new StoreError(
      { kind: "migration-lock", lockTimeout: bound, holder: current },
      { cause: error },
    );
  }
  await tx.exec("RELEASE SAVEPOINT dpo_migration_lock");
}

/** `"dpo-agent-7" (pid 4242, user "etl")`: a lock holder as people recognise it. */
export function describeLockHolder(holder: LockHolder): string {
  const name = holder.applicationName
    ? `"${holder.applicationName}"`
    : "a session without application_name";
  return `${name} (pid ${holder.pid}${holder.user ? `, user "${holder.user}"` : ""})`;
}

/**
 * The session holding the migration lock, from pg_locks and pg_stat_activity (whose
 * application_name every role may read), or null once it is gone. A bigint advisory key shows
 * in pg_locks as classid = its high 32 bits, objid = its low 32 bits and objsubid = 1.
 */
async function migrationLockHolder(tx: Queryable): Promise<LockHolder | null> {
  const rows = await tx.query<
    { pid: number; application_name: string | null; usename: string | null }
  >(
    `SELECT a.pid, a.application_name, a.usename
     FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
     WHERE l.locktype = 'advisory' AND l.granted AND l.pid <> pg_backend_pid()
       AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
       AND l.classid = ($1::bigint >> 32)::oid AND l.objid = ($1::bigint & 4294967295)::oid
       AND l.objsubid = 1
     LIMIT 1`,
    [MIGRATION_LOCK_KEY],
  );
  if (rows.length === 0) return null;
  const [row] = rows;
  return { pid: row.pid, applicationName: row.application_name, user: row.usename };
}
