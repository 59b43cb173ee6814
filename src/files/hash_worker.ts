/// <reference lib="deno.worker" />
/** A hashing thread: receives file paths, answers with their SHA-256 checksums in order. */
import { FileHasher } from "./hash.ts";

/** What the pool sends: files relative to basePath. */
export interface HashRequest {
  basePath: string;
  paths: string[];
}

/** What a worker answers: every checksum in request order, or the first error's message. */
export type HashResponse = { checksums: string[] } | { error: string };

const hasher = new FileHasher();

self.onmessage = (event: MessageEvent<HashRequest>) => {
  const { basePath, paths } = event.data;
  try {
    const checksums = paths.map((path) => hasher.sha256(`${basePath}/${path}`, path).checksum);
    self.postMessage({ checksums } satisfies HashResponse);
  } catch (error) {
    self.postMessage({ error: (error as Error).message } satisfies HashResponse);
  }
};
