/** Model naming: a model is its file's name without the last extension. */
import { ConflictError, UsageError } from "../errors.ts";

/** The longest model name the Python tool's column holds (varchar(250)). */
export const MAX_MODEL_NAME_LENGTH = 250;

/** `a.b.sql` -> `a.b`, `.hidden.sql` -> `.hidden`, `.env` -> `.env`, as pathlib's `stem`. */
export function modelNameOf(relativePath: string): string {
  const fileName = relativePath.slice(relativePath.lastIndexOf("/") + 1);
  const dot = fileName.lastIndexOf(".");
  return dot > 0 && dot < fileName.length - 1 ? fileName.slice(0, dot) : fileName;
}

/**
 * Names each file's model, refusing two files with one name (the Python tool let the last one
 * silently win) and names longer than the column.
 */
export function nameModels(relativePaths: readonly string[]): Map<string, string> {
  const pathByModel = new Map<string, string>();
  for (const path of relativePaths) {
    const name = modelNameOf(path);
    // Code points are never more than UTF-16 units: most names skip the counting copy.
    if (name.length > MAX_MODEL_NAME_LENGTH && [...name].length > MAX_MODEL_NAME_LENGTH) {
      throw new UsageError(
        `Model name of "${path}" is longer than ${MAX_MODEL_NAME_LENGTH} characters: rename the file`,
      );
    }
    const earlier = pathByModel.get(name);
    if (earlier !== undefined) {
      throw new ConflictError(
        `Model "${name}" is given by two files, "${earlier}" and "${path}": ` +
          "model names must be unique within a step regardless of extension",
      );
    }
    pathByModel.set(name, path);
  }
  return pathByModel;
}
