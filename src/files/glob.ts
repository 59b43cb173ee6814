/** Expands model patterns under a base folder the way the Python tool's pathlib glob did. */
import { globSync } from "tinyglobby";
import { FileError, NotFoundError, UsageError } from "../errors.ts";

/**
 * The regular files the patterns match under `basePath`, as sorted, de-duplicated paths relative
 * to it. `**` is zero or more folders, `*` matches dot-files, symlinked files count, symlinked
 * folders are not descended (as pathlib), and a pattern may not leave the base folder.
 */
export function expandModelPatterns(basePath: string, patterns: readonly string[]): string[] {
  assertFolder(basePath);
  const cleaned = patterns.map((pattern) => checkPattern(pattern));
  let matches: string[];
  try {
    matches = globSync(cleaned, {
      cwd: basePath,
      dot: true,
      expandDirectories: false,
      onlyFiles: true,
      followSymbolicLinks: true,
    });
  } catch (error) {
    throw new FileError(
      `Cannot list the model files under "${basePath}": ${(error as Error).message}`,
      { cause: error },
    );
  }
  const symlinkedFolders = new SymlinkedFolderCache(basePath);
  const files = new Set<string>();
  for (const match of matches) {
    if (!symlinkedFolders.hasSymlinkedAncestor(match)) files.add(match);
  }
  return [...files].sort();
}

function assertFolder(basePath: string): void {
  let info: Deno.FileInfo;
  try {
    info = Deno.statSync(basePath);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new NotFoundError(
        `Base path "${basePath}" does not exist: give the folder that holds the model files`,
      );
    }
    throw new FileError(`Cannot read base path "${basePath}": ${(error as Error).message}`);
  }
  if (!info.isDirectory) {
    throw new FileError(
      `Base path "${basePath}" is not a folder: give the folder that holds the model files`,
    );
  }
}

function checkPattern(pattern: string): string {
  if (pattern.trim() === "") {
    throw new UsageError('A model pattern is empty: give patterns such as "**/*.sql"');
  }
  if (pattern.startsWith("/") || pattern.startsWith("\\") || /^[a-z]:/i.test(pattern)) {
    throw new UsageError(
      `Model pattern "${pattern}" is absolute: give patterns relative to base-path`,
    );
  }
  if (pattern.split(/[\\/]/).includes("..")) {
    throw new UsageError(
      `Model pattern "${pattern}" climbs out of base-path with "..": move base-path up instead`,
    );
  }
  return pattern.replace(/^(\.\/)+/, "");
}

/** Remembers which folders under the base are symlinks, so each is checked once. */
class SymlinkedFolderCache {
  #basePath: string;
  #isSymlink = new Map<string, boolean>();

  constructor(basePath: string) {
    this.#basePath = basePath;
  }

  hasSymlinkedAncestor(relativePath: string): boolean {
    const parts = relativePath.split("/");
    let folder = "";
    for (const part of parts.slice(0, -1)) {
      folder = folder === "" ? part : `${folder}/${part}`;
      if (this.#check(folder)) return true;
    }
    return false;
  }

  #check(folder: string): boolean {
    let known = this.#isSymlink.get(folder);
    if (known === undefined) {
      known = Deno.lstatSync(`${this.#basePath}/${folder}`).isSymlink;
      this.#isSymlink.set(folder, known);
    }
    return known;
  }
}
