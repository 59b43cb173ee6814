/** Hashes many files on every core; few files on the calling thread. */
import { FileError } from "../errors.ts";
import { FileHasher } from "./hash.ts";
import type { HashRequest, HashResponse } from "./hash_worker.ts";

/**
 * Below this many files a worker's start-up (~30 ms) costs more than it saves; above it, two
 * workers hash 20,000 small files in 190 ms where the main thread takes 300 ms (measured).
 */
const WORKER_THRESHOLD = 2_000;
const MAX_WORKERS = 4;

/** Called as hashing advances, with the files and bytes hashed since the previous call. */
export type HashProgress = (done: { files: number; bytes: number }) => void;

/** SHA-256 of each file (paths relative to basePath), in the order given. */
export async function hashFiles(
  basePath: string,
  paths: readonly string[],
  onProgress: HashProgress = () => {},
): Promise<string[]> {
  const workerCount = Math.min(MAX_WORKERS, navigator.hardwareConcurrency || 1);
  if (paths.length < WORKER_THRESHOLD || workerCount < 2) {
    const hasher = new FileHasher();
    return paths.map((path) => {
      const hashed = hasher.sha256(`${basePath}/${path}`, path);
      onProgress({ files: 1, bytes: hashed.bytes });
      return hashed.checksum;
    });
  }
  // Interleaved shares: the occasional large file lands evenly on every worker.
  const shares = Array.from(
    { length: workerCount },
    (_, w) => paths.filter((_, i) => i % workerCount === w),
  );
  const answers = await Promise.all(
    shares.map((share) => hashInWorker({ basePath, paths: share }, onProgress)),
  );
  const checksums = new Array<string>(paths.length);
  answers.forEach((answer, w) =>
    answer.forEach((checksum, k) => {
      checksums[k * workerCount + w] = checksum;
    })
  );
  return checksums;
}

function hashInWorker(request: HashRequest, onProgress: HashProgress): Promise<string[]> {
  const worker = new Worker(new URL("./hash_worker.ts", import.meta.url), { type: "module" });
  return new Promise<string[]>((resolve, reject) => {
    worker.onmessage = (event: MessageEvent<HashResponse>) => {
      const answer = event.data;
      if ("progress" in answer) onProgress(answer.progress);
      else if ("error" in answer) reject(new FileError(answer.error));
      else resolve(answer.checksums);
    };
    worker.onerror = (event) => {
      event.preventDefault();
      reject(new FileError(`A hashing worker failed: ${event.message}`));
    };
    worker.postMessage(request);
  }).finally(() => worker.terminate());
}
