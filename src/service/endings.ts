/** The one rule for ending an execution or a step as COMPLETED or FAILED. */
import { ConflictError } from "../errors.ts";

/** What an end command did: `unchanged` says it had already ended that way. */
export interface Ending<Row> {
  row: Row;
  unchanged: boolean;
}

/**
 * Settles an attempt to end a record: the row it produced, or (when it had already ended) the
 * same ending again, which changes nothing, or the other ending, which is a conflict.
 */
export async function settleEnding<Row extends { status: string }>(attempt: {
  what: string;
  wanted: "COMPLETED" | "FAILED";
  ended: Row | undefined;
  current: () => Promise<Row>;
}): Promise<Ending<Row>> {
  if (attempt.ended) return { row: attempt.ended, unchanged: false };
  const row = await attempt.current();
  if (row.status === attempt.wanted) return { row, unchanged: true };
  throw new ConflictError(
    attempt.wanted === "COMPLETED"
      ? `${attempt.what} has failed and cannot be completed: start a new execution`
      : `${attempt.what} is already completed and cannot fail: start a new execution`,
  );
}
