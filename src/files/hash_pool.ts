/** Hashes many files on every core; few files on the calling thread. */
import { HashWorkerClient } from "./hash_worker_client.ts";
import { Sha256Digests } from "./sha256_digests.ts";

/**
 * Below this many files the workers' start-up costs more than it saves: creating one blocks the
 * creating thread for ~25 ms, and the worker spends ~30 ms more loading node:crypto; above it,
 * two workers hash 20,000 small files in ~170 ms where this thread takes ~300 ms (measured).
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

/**
 * Hashes files under one base folder: few on this thread, many on a worker per core (this
 * thread hashing too was measured slower on two cores: it keeps the workers' answers waiting).
 * Disposing of the pool stops its workers, whatever happened.
 */
export class HashPool implements Disposable {
  #basePath: string;
  #workers: HashWorkerClient[] = [];
  #workerCount = Math.min(MAX_WORKERS, navigator.hardwareConcurrency || 1);
  #nextStatWorker = 0;

  constructor(basePath: string) {
    this.#basePath = basePath;
  }

  /** How many worker threads are running. */
  get workers(): number {
    return this.#workers.length;
  }

  /**
   * Told how many files are known so far: at the worker threshold the workers start, so that
   * they load while the caller still lists files (~25 ms sooner done at 20,000 files).
   */
  expect(fileCount: number): void {
    if (fileCount >= WORKER_THRESHOLD && this.#workers.length === 0 && this.#workerCount >= 2) {
      // One at a time into the list, so that disposing stops those made before one failed.
      for (let i = 0; i < this.#workerCount; i++) {
        this.#workers.push(new HashWorkerClient(this.#basePath));
      }
    }
  }

  /** SHA-256 of each file (paths relative to the base path), in the order given. */
  async hash(
    paths: readonly string[],
    onProgress: HashProgress = () => {},
  ): Promise<Sha256Digests> {
    this.expect(paths.length);
    if (this.#workers.length === 0) return await this.#hashHere(paths, onProgress);
    const digests = new Sha256Digests(paths.length);
    let nextStart = 0;
    // One lane per queued batch: each takes the next batch, waits for it, and files its digests.
    const runLane = async (worker: HashWorkerClient) => {
      while (nextStart < paths.length) {
        const start = nextStart;
        nextStart += BATCH_FILES;
        const batch = paths.slice(start, nextStart);
        const answer = await worker.hash(batch);
        digests.setAll(start, answer.digests, batch.length);
        onProgress({ files: batch.length, bytes: answer.bytes });
      }
    };
    await Promise.all(
      this.#workers.flatMap((worker) =>
        Array.from({ length: BATCHES_PER_WORKER }, () => runLane(worker))
      ),
    );
    return digests;
  }

  /**
   * The stats of files (file_stat.ts' statAll() numbers), taken on the next worker in turn; null
   * while the pool has no worker (see expect()).
   */
  statOnWorker(paths: string[]): Promise<Float64Array> | null {
    if (this.#workers.length === 0) return null;
    return this.#workers[this.#nextStatWorker++ % this.#workers.length].stat(paths);
  }

  [Symbol.dispose](): void {
    for (const worker of this.#workers.splice(0)) worker.terminate();
  }

  async #hashHere(paths: readonly string[], onProgress: HashProgress): Promise<Sha256Digests> {
    // Loaded only here: hash.ts brings node:crypto, whose first import starts Deno's Node layer
    // (~30 ms on this thread), which the workers' thread pays instead when they hash.
    const { FileHasher } = await import("./hash.ts");
    return new FileHasher().sha256All(
      this.#basePath,
      paths,
      (bytes) => onProgress({ files: 1, bytes }),
    );
  }
}
