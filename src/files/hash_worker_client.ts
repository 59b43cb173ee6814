/** The calling thread's side of one hashing worker (hash_worker.ts). */
import { FileError } from "../errors.ts";
import type { HashRequest, HashResponse } from "./hash_worker.ts";

/** A batch's digests (a Sha256Digests' bytes, in path order) and the bytes read. */
export interface HashedBatch {
  digests: Uint8Array;
  bytes: number;
}

type Answer = Exclude<HashResponse, { error: string }>;

/** One hashing thread; it answers batches in the order they were sent. */
export class HashWorkerClient {
  #basePath: string;
  #worker = new Worker(new URL("./hash_worker.ts", import.meta.url), { type: "module" });
  #waiting: PromiseWithResolvers<Answer>[] = [];

  constructor(basePath: string) {
    this.#basePath = basePath;
    this.#worker.onmessage = (event: MessageEvent<HashResponse>) => {
      const answer = event.data;
      const request = this.#waiting.shift();
      // An answer after terminate() has nobody waiting for it.
      if (request === undefined) return;
      if ("error" in answer) request.reject(new FileError(answer.error));
      else request.resolve(answer);
    };
    this.#worker.onerror = (event) => {
      event.preventDefault();
      this.#failAll(new FileError(`A hashing worker failed: ${event.message}`));
    };
  }

  /** The digests of files `paths` (relative to the base path), and the bytes read. */
  async hash(paths: string[]): Promise<HashedBatch> {
    return await this.#ask("hash", paths) as HashedBatch;
  }

  /** The stats of files `paths` (file_stat.ts' statAll() numbers). */
  async stat(paths: string[]): Promise<Float64Array> {
    return (await this.#ask("stat", paths) as { stats: Float64Array }).stats;
  }

  /** Stops the thread now; batches still waiting fail rather than wait forever. */
  terminate(): void {
    this.#worker.terminate();
    this.#failAll(new FileError("Hashing stopped before this batch was done"));
  }

  #ask(kind: HashRequest["kind"], paths: string[]): Promise<Answer> {
    const request = Promise.withResolvers<Answer>();
    this.#waiting.push(request);
    this.#worker.postMessage({ kind, basePath: this.#basePath, paths } satisfies HashRequest);
    return request.promise;
  }

  #failAll(error: FileError): void {
    for (const request of this.#waiting.splice(0)) request.reject(error);
  }
}
