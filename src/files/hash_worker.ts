/// <reference lib="deno.worker" />
/**
 * A hashing thread: receives batches of file paths, answers each with their SHA-256 digests, or
 * with their stats (the stat cache's key, taken here while the calling thread lists files).
 */
import type { FileHasher } from "./hash.ts";
import { statAll } from "./file_stat.ts";

/** What the pool sends: one batch of files relative to basePath, to hash or to stat. */
export interface HashRequest {
  kind: "hash" | "stat";
  basePath: string;
  paths: string[];
}

/**
 * What a worker answers to each request, in request order: the batch's digests (a Sha256Digests'
 * bytes, in path order) and the bytes read, or its stats (statAll()'s numbers), or the first
 * error's message.
 */
export type HashResponse =
  | { digests: Uint8Array<ArrayBuffer>; bytes: number }
  | { stats: Float64Array<ArrayBuffer> }
  | { error: string };

/**
 * Loaded on the first batch to hash: node:crypto takes this thread ~30 ms to load, which a re-run
 * whose files the stat cache vouches for need not spend.
 */
let hasher: Promise<FileHasher> | undefined;
/** Requests are answered one after the other, in the order they came. */
let answered = Promise.resolve();

self.onmessage = (event: MessageEvent<HashRequest>) => {
  answered = answered.then(() => answer(event.data));
};

async function answer({ kind, basePath, paths }: HashRequest): Promise<void> {
  try {
    if (kind === "stat") {
      const stats = statAll(basePath, paths);
      self.postMessage({ stats } satisfies HashResponse, [stats.buffer]);
      return;
    }
    hasher ??= import("./hash.ts").then(({ FileHasher }) => new FileHasher());
    let bytes = 0;
    const digests = (await hasher).sha256All(basePath, paths, (fileBytes) => bytes += fileBytes);
    // Transferred, not copied.
    self.postMessage({ digests: digests.bytes, bytes } satisfies HashResponse, [
      digests.bytes.buffer,
    ]);
  } catch (error) {
    self.postMessage({ error: (error as Error).message } satisfies HashResponse);
  }
}
