/** Expands model patterns under a base folder the way the Python tool's pathlib glob did. */
import * as nodeFs from "node:fs";
import { isAbsolute, relative, resolve } from "node:path";
import { type FileSystemAdapter, globSync } from "tinyglobby";
import { FileError, NotFoundError, UsageError } from "../errors.ts";

/**
 * The regular files the patterns match under `basePath`, as sorted, de-duplicated paths relative
 * to it. `**` is zero or more folders, `*` matches dot-files, symlinked files count, symlinked
 * folders are not descended (as pathlib), and a pattern may not leave the base folder.
 */
export function expandModelPatterns(basePath: string, patterns: readonly string[]): string[] {
  assertFolder(basePath);
  const cleaned = patterns.map((pattern) => checkPattern(pattern));
  const crawl = new CrawlRecorder();
  let matches: string[];
  try {
    matches = globSync(cleaned, {
      cwd: basePath,
      dot: true,
      expandDirectories: false,
      onlyFiles: true,
      followSymbolicLinks: true,
      fs: crawl.fs,
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
  const sorted = [...files].sort();
  crawl.assertComplete(basePath, sorted);
  return sorted;
}

/** Stands for a symbolic link that cannot be resolved, so that the patterns still see it. */
const UNRESOLVED_LINK = { isDirectory: () => false, isFile: () => true };

/**
 * The file system calls of the crawl, recording what tinyglobby would skip in silence: a
 * folder it cannot list, a symbolic link it cannot resolve, a name that is not UTF-8 (Deno
 * hands it over with U+FFFD for the bad bytes, a name no file has). A model silently left out
 * would read as deleted, and its changes would go unreported.
 */
class CrawlRecorder {
  #unlistedFolders: { path: string; error: unknown }[] = [];
  #unresolvedLinks = new Map<string, unknown>();
  readonly fs: FileSystemAdapter = {
    readdirSync: ((path: string, options: { withFileTypes: true }) => {
      try {
        return nodeFs.readdirSync(path, options);
      } catch (error) {
        this.#unlistedFolders.push({ path, error });
        throw error;
      }
    }) as FileSystemAdapter["readdirSync"],
    realpathSync: ((path: string) => {
      try {
        return nodeFs.realpathSync(path);
      } catch (error) {
        this.#unresolvedLinks.set(path, error);
        return path;
      }
    }) as FileSystemAdapter["realpathSync"],
    statSync:
      ((path: string) =>
        this.#unresolvedLinks.has(path)
          ? UNRESOLVED_LINK
          : nodeFs.statSync(path)) as FileSystemAdapter["statSync"],
  };

  /** Throws a FileError for the first folder or matched file that could not be read. */
  assertComplete(basePath: string, files: readonly string[]): void {
    const base = resolve(basePath);
    for (const { path, error } of this.#unlistedFolders) {
      const folder = relative(base, path);
      // A folder reached through a symlinked folder: its files are not models anyway.
      if (folder.startsWith("..") || isAbsolute(folder)) continue;
      if (isNotUtf8(base, folder)) {
        throw notUtf8Error(`Folder "${folder}"`, "dpo cannot read the files in it");
      }
      // A folder a pattern names that does not exist (or is a file) holds no model.
      const code = (error as { code?: string }).code;
      if (code === "ENOENT" || code === "ENOTDIR") continue;
      throw new FileError(
        `Cannot list folder "${folder || "."}" under base path "${basePath}": ` +
          `${describeCrawlError(error)}`,
        { cause: error },
      );
    }
    const unresolved = new Map(
      [...this.#unresolvedLinks].map(([path, error]) => [relative(base, path), error]),
    );
    for (const file of files) {
      if (isNotUtf8(base, file)) {
        throw notUtf8Error(`Model file "${file}"`, "model names are stored as UTF-8 text");
      }
      const error = unresolved.get(file);
      if (error === undefined) continue;
      const target = Deno.readLinkSync(`${base}/${file}`);
      throw new FileError(
        (error as { code?: string }).code === "ENOENT"
          ? `Model file "${file}" is a symbolic link to "${target}", which does not exist: ` +
            "fix or remove the link"
          : `Model file "${file}" is a symbolic link to "${target}" that cannot be resolved ` +
            `(${describeCrawlError(error)}): fix or remove the link`,
        { cause: error },
      );
    }
  }
}

function isNotUtf8(base: string, path: string): boolean {
  if (!path.includes("\uFFFD")) return false;
  try {
    Deno.lstatSync(`${base}/${path}`);
    return false;
  } catch {
    return true;
  }
}

function notUtf8Error(what: string, why: string): FileError {
  return new FileError(
    `${what} has a name that is not valid UTF-8 (\uFFFD marks the bad bytes): rename it, ${why}`,
  );
}

function describeCrawlError(error: unknown): string {
  const code = (error as { code?: string }).code;
  if (code === "EACCES" || error instanceof Deno.errors.PermissionDenied) {
    return "permission denied";
  }
  if (code === "ELOOP") return "a loop of symbolic links";
  return (error as Error).message;
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

/**
 * Remembers which folders under the base are, or lie under, a symlink, so each is checked once
 * and a file costs one lookup of its folder (splitting every path into its ancestors made ~30 MB
 * of garbage at 200,000 files).
 */
class SymlinkedFolderCache {
  #basePath: string;
  #isUnderSymlink = new Map<string, boolean>();

  constructor(basePath: string) {
    this.#basePath = basePath;
  }

  hasSymlinkedAncestor(relativePath: string): boolean {
    const slash = relativePath.lastIndexOf("/");
    return slash !== -1 && this.#check(relativePath.slice(0, slash));
  }

  #check(folder: string): boolean {
    let known = this.#isUnderSymlink.get(folder);
    if (known === undefined) {
      const slash = folder.lastIndexOf("/");
      // Ancestors first: nothing below a symlinked folder is looked at.
      known = (slash !== -1 && this.#check(folder.slice(0, slash))) ||
        Deno.lstatSync(`${this.#basePath}/${folder}`).isSymlink;
      this.#isUnderSymlink.set(folder, known);
    }
    return known;
  }
}
