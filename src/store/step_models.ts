/** Every statement on dpo.execution_step_model. */
import type { Queryable } from "./database.ts";

/** One fingerprinted model file. */
export interface ModelChecksum {
  name: string;
  checksum: string;
}

/**
 * Saves all of a step's checksums in one statement and one round trip: the rows travel as one
 * JSON parameter, which both stores accept and which no parameter-count limit applies to.
 */
export async function insertStepModels(
  tx: Queryable,
  stepId: string,
  models: readonly ModelChecksum[],
): Promise<void> {
  if (models.length === 0) return;
  const rows = models.map((m) => ({ i: crypto.randomUUID(), n: m.name, c: m.checksum }));
  await tx.query(
    `INSERT INTO dpo.execution_step_model
       (execution_step_model_id, execution_step_id, model_name, checksum)
     SELECT r.i, $1, r.n, r.c FROM json_to_recordset($2::json) AS r(i uuid, n text, c text)`,
    [stepId, JSON.stringify(rows)],
  );
}

/**
 * The step's models that are new or changed against a previous step (every model when there
 * is none), sorted by code point as the Python tool sorted them (collation "C").
 */
export async function changedModelNames(
  db: Queryable,
  stepId: string,
  previousStepId: string | null,
): Promise<string[]> {
  const rows = await db.query<{ model_name: string }>(
    `SELECT m.model_name FROM dpo.execution_step_model m
     WHERE m.execution_step_id = $1 AND NOT EXISTS (
       SELECT 1 FROM dpo.execution_step_model p
       WHERE p.execution_step_id = $2::uuid AND p.model_name = m.model_name
         AND p.checksum = m.checksum)
     ORDER BY m.model_name COLLATE "C"`,
    [stepId, previousStepId],
  );
  return rows.map((row) => row.model_name);
}
