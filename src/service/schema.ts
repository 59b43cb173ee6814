/** The workflows on dpo's schema: upgrade, downgrade, and where it stands (the db commands). */
import type { Revision } from "../domain.ts";
import { UsageError } from "../errors.ts";
import type { Log } from "../log.ts";
import type { Dialect, Store } from "../store/database.ts";
import {
  currentRevision,
  downgrade,
  isKnownRevision,
  revisionHistory,
  upgrade,
} from "../store/migrate.ts";
import { HEAD_MIGRATION } from "../store/schema_migrations.ts";

/**
 * Applies the migrations up to `revision` ("head" or one dpo ships), adopting a database the
 * Python tool created; returns the names applied.
 */
export async function upgradeSchema(store: Store, revision: string, log: Log): Promise<string[]> {
  if (revision !== "head") assertKnownRevision(store.dialect, revision, "db upgrade");
  return await upgrade(store, revision, log);
}

/** Reverts migrations down to `revision`, "-N" steps or "base"; returns the names reverted. */
export async function downgradeSchema(
  store: Store,
  revision: string,
  log: Log,
): Promise<string[]> {
  // Checked first: an unknown revision is a usage error even when there is nothing to revert.
  if (revision !== "base" && !/^-\d+$/.test(revision)) {
    assertKnownRevision(store.dialect, revision, "db downgrade");
  }
  return await downgrade(store, revision, log);
}

/** The applied revision (or the Python tool's, not yet adopted), null on an empty database. */
export async function schemaRevision(
  store: Store,
): Promise<{ revision: string | null; isHead: boolean }> {
  const { migration, alembic } = await currentRevision(store);
  if (alembic !== null) {
    return {
      revision: `alembic ${alembic} (Python DPO; run "dpo db upgrade" to adopt)`,
      isHead: false,
    };
  }
  return { revision: migration, isHead: migration === HEAD_MIGRATION };
}

/** Every migration dpo ships with when it was applied, oldest first. */
export async function schemaHistory(store: Store): Promise<Revision[]> {
  return await revisionHistory(store);
}

function assertKnownRevision(dialect: Dialect, revision: string, command: string): void {
  if (!isKnownRevision(dialect, revision)) {
    throw new UsageError(
      `Revision "${revision}" is not known to ${command}: see "dpo db history" for the revisions`,
    );
  }
}
