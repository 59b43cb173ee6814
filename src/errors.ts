/** The errors main.ts recognises; each maps to one line on stderr and an exit code. */

/** The command line was wrong: exit code 2, like argparse. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** Something the user named does not exist (an execution, a step, a folder). */
export class NotFoundError extends Error {
  override name = "NotFoundError";
}

/** The request contradicts what is stored (a reused id, a completed execution, duplicate models). */
export class ConflictError extends Error {
  override name = "ConflictError";
}

/** The database could not be reached or answered with an error dpo cannot explain better. */
export class DatabaseError extends Error {
  override name = "DatabaseError";
}

/** A model file could not be read or the patterns could not be expanded. */
export class FileError extends Error {
  override name = "FileError";
}

/** Exit code for an error: 2 for usage errors, 1 for everything else. */
export function exitCodeFor(error: unknown): number {
  return error instanceof UsageError ? 2 : 1;
}
