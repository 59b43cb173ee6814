/** Checks on the embedded store's file and folder before SQLite opens it. */
import { DatabaseError } from "../errors.ts";

/** The folder of dpo's earlier embedded store (PGlite), which held a PostgreSQL data folder. */
export function refuseEarlierStore(path: string): void {
  const folder = folderOf(path);
  if (!exists(`${folder}/pgdata/PG_VERSION`)) return;
  throw new DatabaseError(
    `The folder "${folder}" holds the embedded store of an earlier dpo (PGlite), which this ` +
      "dpo no longer reads; it would otherwise start an empty store and report every model as " +
      `new: keep using the earlier dpo on it, or move "${folder}/pgdata" aside to start afresh`,
  );
}

/**
 * SQLite's write-ahead log shares memory between processes through a file next to the store,
 * which network file systems do not keep coherent: two hosts could then both write and corrupt
 * it. Refused up front when /proc says where the store lies (not in every container).
 */
export function refuseNetworkFileSystem(path: string): void {
  let mountInfo: string;
  let folder: string;
  try {
    mountInfo = Deno.readTextFileSync("/proc/self/mountinfo");
    folder = Deno.realPathSync(folderOf(path));
  } catch {
    return;
  }
  const type = fileSystemType(mountInfo, folder);
  if (type !== undefined && NETWORK_FILE_SYSTEMS.test(type)) {
    throw new DatabaseError(
      `The embedded store "${path}" is on a network file system (${type}), where SQLite's ` +
        "write-ahead log is not safe: keep it on a local disk (--db sqlite:<file>), or use a " +
        "PostgreSQL server",
    );
  }
}

const NETWORK_FILE_SYSTEMS =
  /^(nfs4?|cifs|smb3?|smbfs|ncpfs|afs|9p|ceph|glusterfs|fuse\.(sshfs|s3fs|gcsfuse|rclone))$/;

/** The type of the file system that holds `absolutePath`, from /proc/self/mountinfo's text. */
export function fileSystemType(mountInfo: string, absolutePath: string): string | undefined {
  let best: { mountPoint: string; type: string } | undefined;
  for (const line of mountInfo.split("\n")) {
    const fields = line.split(" ");
    const separator = fields.indexOf("-");
    if (fields.length < 5 || separator === -1) continue;
    // Spaces and the like are octal escapes there: "/mnt/my\040share".
    const mountPoint = fields[4].replace(
      /\\([0-7]{3})/g,
      (_, octal) => String.fromCharCode(parseInt(octal, 8)),
    );
    const inside = mountPoint === "/" || absolutePath === mountPoint ||
      absolutePath.startsWith(`${mountPoint}/`);
    if (inside && (best === undefined || mountPoint.length >= best.mountPoint.length)) {
      best = { mountPoint, type: fields[separator + 1] };
    }
  }
  return best?.type;
}

export function ensureFolder(path: string): void {
  try {
    Deno.mkdirSync(folderOf(path), { recursive: true });
  } catch (error) {
    throw new DatabaseError(
      `Cannot create the folder of the embedded store "${path}": ${(error as Error).message}`,
      { cause: error },
    );
  }
}

export function folderOf(path: string): string {
  const slash = path.lastIndexOf("/");
  return slash === -1 ? "." : slash === 0 ? "/" : path.slice(0, slash);
}

export function exists(path: string): boolean {
  try {
    Deno.lstatSync(path);
    return true;
  } catch {
    return false;
  }
}
