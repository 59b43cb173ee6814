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

/** A step's models in name order: each one's file, and where that file stood in the listing. */
export interface ModelsInNameOrder {
  names: string[];
  paths: string[];
  /** `paths[i]` is `listed[listedIndexes[i]]`. */
  listedIndexes: Uint32Array;
}

/**
 * Names the files of a listing in any order and puts the models in name order (UTF-16 order, as
 * `sort()`), with the same refusals as nameModels(): one sort of indexes, no Map of 200,000 names
 * and no sort of the paths first (~0.15 s instead of ~0.3 s at 200,000 files, measured).
 */
export function modelsInNameOrder(listed: readonly string[]): ModelsInNameOrder {
  const listedNames = listed.map(modelNameOf);
  const order = Array.from({ length: listed.length }, (_, i) => i);
  order.sort((a, b) =>
    listedNames[a] < listedNames[b] ? -1 : listedNames[a] > listedNames[b] ? 1 : 0
  );
  const names = new Array<string>(order.length);
  const paths = new Array<string>(order.length);
  const listedIndexes = new Uint32Array(order.length);
  let vetted = false;
  for (let i = 0; i < order.length; i++) {
    const name = listedNames[order[i]];
    if (!vetted && (name.length > MAX_MODEL_NAME_LENGTH || (i > 0 && name === names[i - 1]))) {
      // Throws the error nameModels() gives over the sorted paths, word for word (the same pair
      // named); a long name it lets pass (few code points) leaves nothing else to refuse.
      nameModels([...listed].sort());
      vetted = true;
    }
    names[i] = name;
    paths[i] = listed[order[i]];
    listedIndexes[i] = order[i];
  }
  return { names, paths, listedIndexes };
}
