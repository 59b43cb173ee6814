/// <reference lib="deno.worker" />
/** A hashing thread: receives batches of file paths, answers each with their SHA-256 digests. */
import { FileHasher } from "./hash.ts";

/** What the pool sends: one batch of files relative to basePath. */
export interface HashRequest {
  basePath: string;
  paths: string[];
}

/**
 * What a worker answers to each request, in request order: the batch's digests (a Sha256Digests'
 * bytes, in path order) and the bytes read, or the first error's message.
 */
export type HashResponse =
  | { digests: Uint8Array<ArrayBuffer>; bytes: number }
  | { error: string };

const hasher = new FileHasher();

self.onmessage = (event: MessageEvent<HashRequest>) => {
  const { basePath, paths } = event.data;
  try {
    let bytes = 0;
    const digests = hasher.sha256All(basePath, paths, (fileBytes) => bytes += fileBytes);
    // Transferred, not copied.
    self.postMessage({ digests: digests.bytes, bytes } satisfies HashResponse, [
      digests.bytes.buffer,
    ]);
  } catch (error) {
    self.postMessage({ error: (error as Error).message } satisfies HashResponse);
  }
};
