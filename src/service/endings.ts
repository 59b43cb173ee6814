/** The one rule for ending an execution or a step as COMPLETED or FAILED. */
import type { FinalStatus, Status } from "../domain.ts";
import { ConflictError } from "../errors.ts";

/** What an end command did: the record as stored, and `unchanged` when it had already ended so. */
export interface Ending<Record> {
  record: Record;
  unchanged: boolean;
}

/**
 * Settles an attempt to end a record: the record it produced, or (when it had already ended)
 * the same ending again, which changes nothing, or the other ending, which is a conflict.
 */
export async function settleEnding<Record extends { status: Status }>(attempt: {
  what: string;
  wanted: FinalStatus;
  ended: Record | undefined;
  current: () => Promise<Record>;
}): Promise<Ending<Record>> {
  if (attempt.ended) return { record: attempt.ended, unchanged: false };
  const record = await attempt.current();
  if (record.status === attempt.wanted) return { record, unchanged: true };
  throw new ConflictError(
    attempt.wanted === "COMPLETED"
      ? `${attempt.what} has failed and cannot be completed: start a new execution`
      : `${attempt.what} is already completed and cannot fail: start a new execution`,
  );
}
