/** Checks on the embedded store's file and folder before SQLite opens it. */
import { embeddedStoreError } from "./sqlite_errors.ts";

/**
 * The folder of dpo's earlier embedded store (PGlite), which held a PostgreSQL data folder;
 * `entries`, the folder's names when known, spares a failed lookup.
 */
export function refuseEarlierStore(path: string, entries?: ReadonlySet<string>): void {
  const folder = folderOf(path);
  if (entries !== undefined && !entries.has("pgdata")) return;
  if (!exists(`${folder}/pgdata/PG_VERSION`)) return;
  throw embeddedStoreError({ code: "earlier-pglite", path: folder, detail: "pgdata/PG_VERSION" });
}

/**
 * SQLite's write-ahead log shares memory between processes through a file next to the store,
 * which network file systems do not keep coherent: two hosts could then both write and corrupt
 * it. Refused up front when /proc says where the store lies (not in every container).
 */
export function refuseNetworkFileSystem(path: string): void {
  let type: string | undefined;
  try {
    const mountInfo = Deno.readTextFileSync("/proc/self/mountinfo");
    type = networkFileSystemType(mountInfo, () => Deno.realPathSync(folderOf(path)));
  } catch {
    return;
  }
  if (type !== undefined) {
    throw embeddedStoreError({ code: "network-file-system", path, detail: type });
  }
}

/**
 * The network file system that holds the folder `resolveFolder` gives (an absolute path without
 * symbolic links), from /proc/self/mountinfo's text; undefined on a local one. Most machines
 * mount no network file system at all: then the text is not parsed and the folder not resolved
 * (~0.4 ms of every command, measured).
 */
export function networkFileSystemType(
  mountInfo: string,
  resolveFolder: () => string,
): string | undefined {
  if (!NETWORK_FILE_SYSTEMS.some((type) => mountInfo.includes(` - ${type} `))) return undefined;
  const type = fileSystemType(mountInfo, resolveFolder());
  return type !== undefined && NETWORK_FILE_SYSTEMS.includes(type) ? type : undefined;
}

/**
 * Where the store must not be, each matched whole (`nfs` is not `nfsd`); mountinfo shows a mount's
 * type between " - " and a space.
 */
const NETWORK_FILE_SYSTEMS = [
  "nfs",
  "nfs4",
  "cifs",
  "smb",
  "smb3",
  "smbfs",
  "ncpfs",
  "afs",
  "9p",
  "ceph",
  "glusterfs",
  "fuse.sshfs",
  "fuse.s3fs",
  "fuse.gcsfuse",
  "fuse.rclone",
];

/** The type of the file system that holds `absolutePath`, from /proc/self/mountinfo's text. */
export function fileSystemType(mountInfo: string, absolutePath: string): string | undefined {
  let best: { mountPoint: string; type: string } | undefined;
  for (const line of mountInfo.split("\n")) {
    const fields = line.split(" ");
    const separator = fields.indexOf("-");
    if (fields.length < 5 || separator === -1) continue;
    // Spaces and the like are octal escapes there: "/mnt/my\040share". Unescaped only where
    // there are any: the regular expression's first use costs every command ~0.5 ms (measured).
    const mountPoint = fields[4].includes("\\") ? unescapeOctal(fields[4]) : fields[4];
    const inside = mountPoint === "/" || absolutePath === mountPoint ||
      absolutePath.startsWith(`${mountPoint}/`);
    if (inside && (best === undefined || mountPoint.length >= best.mountPoint.length)) {
      best = { mountPoint, type: fields[separator + 1] };
    }
  }
  return best?.type;
}

function unescapeOctal(text: string): string {
  return text.replace(/\\([0-7]{3})/g, (_, octal) => String.fromCharCode(parseInt(octal, 8)));
}

/**
 * The names in the store's folder, created when missing; undefined when it cannot be listed.
 * What a new store's creation asks (an earlier PGlite store there, creators' leftovers) in one
 * listing, instead of lookups of missing files, each of which throws.
 */
export function folderEntries(path: string): Set<string> | undefined {
  ensureFolder(path);
  try {
    return new Set([...Deno.readDirSync(folderOf(path))].map((entry) => entry.name));
  } catch {
    return undefined;
  }
}

/** The store file's name in its folder. */
export function fileNameOf(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

export function ensureFolder(path: string): void {
  try {
    Deno.mkdirSync(folderOf(path), { recursive: true });
  } catch (error) {
    throw embeddedStoreError(
      { code: "cannot-create-folder", path, detail: (error as Error).message },
      error,
    );
  }
}

export function folderOf(path: string): string {
  const slash = path.lastIndexOf("/");
  return slash === -1 ? "." : slash === 0 ? "/" : path.slice(0, slash);
}

/**
 * Whether `path` names something (a symbolic link counts by its target). By realPathSync, not
 * lstatSync: every command asks this of its store, and lstatSync's first call costs ~0.5 ms
 * (it builds a FileInfo with its dates), realPathSync's ~0.1 ms (measured).
 */
export function exists(path: string): boolean {
  try {
    Deno.realPathSync(path);
    return true;
  } catch {
    return false;
  }
}
