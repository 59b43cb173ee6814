/** Streaming SHA-256 of model files. */
import { createHash } from "node:crypto";
import { FileError } from "../errors.ts";
import { Sha256Digests } from "./sha256_digests.ts";

const CHUNK_BYTES = 1 << 20;

/**
 * Hashes files one after the other through one reused 1 MiB buffer: synchronous reads beat
 * async ones for the small files models are (measured in ../shared/notes/deno-deps.md), and
 * a large file is never held in memory whole.
 */
export class FileHasher {
  #buffer = new Uint8Array(CHUNK_BYTES);

  /** The SHA-256 digest of the file's bytes as lower-case hex, and how many bytes were read. */
  sha256(path: string, displayPath = path): { hex: string; bytes: number } {
    const hash = createHash("sha256");
    let bytes = 0;
    try {
      using file = Deno.openSync(path);
      for (let n: number | null; (n = file.readSync(this.#buffer)) !== null;) {
        hash.update(this.#buffer.subarray(0, n));
        bytes += n;
      }
    } catch (error) {
      throw new FileError(`Cannot read model file "${displayPath}": ${describeIoError(error)}`, {
        cause: error,
      });
    }
    return { hex: hash.digest("hex"), bytes };
  }

  /** The digests of files (paths relative to basePath) in order, told each file's size as read. */
  sha256All(
    basePath: string,
    paths: readonly string[],
    onFile: (bytes: number) => void = () => {},
  ): Sha256Digests {
    const digests = new Sha256Digests(paths.length);
    paths.forEach((path, i) => {
      const hashed = this.sha256(`${basePath}/${path}`, path);
      digests.setHex(i, hashed.hex);
      onFile(hashed.bytes);
    });
    return digests;
  }
}

function describeIoError(error: unknown): string {
  if (error instanceof Deno.errors.PermissionDenied) return "permission denied";
  if (error instanceof Deno.errors.NotFound) return "it disappeared while dpo was reading";
  if (error instanceof Deno.errors.IsADirectory) return "it is a folder";
  return (error as Error).message;
}
