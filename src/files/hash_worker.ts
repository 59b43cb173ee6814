/// <reference lib="deno.worker" />
/** A hashing thread: receives file paths, answers with their SHA-256 checksums in order. */
import { FileHasher } from "./hash.ts";

/** What the pool sends: files relative to basePath. */
export interface HashRequest {
  basePath: string;
  paths: string[];
}

/**
 * What a worker answers: progress now and then (files and bytes since the last report), then
 * every checksum in request order, or the first error's message.
 */
export type HashResponse =
  | { progress: { files: number; bytes: number } }
  | { checksums: string[] }
  | { error: string };

const PROGRESS_EVERY_MS = 200;
const hasher = new FileHasher();

self.onmessage = (event: MessageEvent<HashRequest>) => {
  const { basePath, paths } = event.data;
  try {
    const checksums: string[] = [];
    let reportedAt = performance.now(), files = 0, bytes = 0;
    for (const path of paths) {
      const hashed = hasher.sha256(`${basePath}/${path}`, path);
      checksums.push(hashed.checksum);
      files++;
      bytes += hashed.bytes;
      if (performance.now() - reportedAt >= PROGRESS_EVERY_MS) {
        self.postMessage({ progress: { files, bytes } } satisfies HashResponse);
        reportedAt = performance.now();
        files = bytes = 0;
      }
    }
    self.postMessage({ progress: { files, bytes } } satisfies HashResponse);
    self.postMessage({ checksums } satisfies HashResponse);
  } catch (error) {
    self.postMessage({ error: (error as Error).message } satisfies HashResponse);
  }
};
