/** Hashes many files on every core; few files on the calling thread. */
import { HashWorkerClient } from "./hash_worker_client.ts";
import { Sha256Digests } from "./sha256_digests.ts";

/**
 * Below this many files a worker's start-up (~30 ms) costs more than it saves; above it, two
 * workers hash 20,000 small files in 190 ms where the main thread takes 300 ms (measured).
 */
const WORKER_THRESHOLD = 2_000;
const MAX_WORKERS = 4;
/**
 * Workers get the paths a batch at a time, not a whole share in one message: a worker then holds
 * one batch's paths and checksums, and its heap stays at ~11 MB instead of growing to ~49 MB
 * with 100,000 paths (measured at 200,000 files). A worker that is done takes the next batch, so
 * the occasional large file slows no worker down more than another.
 */
const BATCH_FILES = 512;
/** Batches queued per worker, so that it has the next one when it answers. */
const BATCHES_PER_WORKER = 2;

/** Called as hashing advances, with the files and bytes hashed since the previous call. */
export type HashProgress = (done: { files: number; bytes: number }) => void;

/** SHA-256 of each file (paths relative to basePath), in the order given. */
export async function hashFiles(
  basePath: string,
  paths: readonly string[],
  onProgress: HashProgress = () => {},
): Promise<Sha256Digests> {
  const workerCount = Math.min(MAX_WORKERS, navigator.hardwareConcurrency || 1);
  if (paths.length < WORKER_THRESHOLD || workerCount < 2) {
    // Loaded only here: hash.ts brings node:crypto, whose first import starts Deno's Node layer
    // (~30 ms on this thread), which the workers' thread pays instead when they hash.
    const { FileHasher } = await import("./hash.ts");
    const hasher = new FileHasher();
    const digests = new Sha256Digests(paths.length);
    paths.forEach((path, i) => {
      const hashed = hasher.sha256(`${basePath}/${path}`, path);
      digests.setHex(i, hashed.hex);
      onProgress({ files: 1, bytes: hashed.bytes });
    });
    return digests;
  }
  const digests = new Sha256Digests(paths.length);
  let nextStart = 0;
  const workers = Array.from({ length: workerCount }, () => new HashWorkerClient(basePath));
  // One lane per queued batch: each takes the next batch, waits for it, and files its digests.
  const runLane = async (worker: HashWorkerClient) => {
    while (nextStart < paths.length) {
      const start = nextStart;
      nextStart += BATCH_FILES;
      const batch = paths.slice(start, nextStart);
      const answer = await worker.hash(batch);
      digests.setAll(start, answer.digests);
      onProgress({ files: batch.length, bytes: answer.bytes });
    }
  };
  try {
    await Promise.all(
      workers.flatMap((worker) =>
        Array.from({ length: BATCHES_PER_WORKER }, () => runLane(worker))
      ),
    );
  } finally {
    for (const worker of workers) worker.terminate();
  }
  return digests;
}
