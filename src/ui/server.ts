/** `dpo ui`'s server: one open store, read-only pages, stopped by SIGINT or SIGTERM. */
import { ConflictError, UsageError } from "../errors.ts";
import { stopOnInterrupt } from "../interrupts.ts";
import type { Log } from "../log.ts";
import type { Store } from "../store/database.ts";
import { createHandler } from "./router.ts";

/** Where to listen; port 0 asks the system for a free port. */
export interface ServeOptions {
  hostname: string;
  port: number;
  log: Log;
  /** Called once with the URL the server answers on. */
  onListen(url: string): void;
  /** The one line the log says for a failure of the store (the CLI words the store's errors). */
  describeError(error: unknown): string;
}

/** Serves the pages until SIGINT or SIGTERM, then lets open requests finish and returns. */
export async function serveUi(store: Store, options: ServeOptions): Promise<void> {
  const stop = new AbortController();
  const server = listen(options, stop.signal, createHandler(store, options));
  // SIGINT and SIGTERM stop the server: open requests finish and the store is closed (exit 0).
  const giveBack = stopOnInterrupt(() => stop.abort());
  try {
    await server.finished;
  } finally {
    giveBack();
  }
  options.log.info("dpo ui stopped: open requests finished, the store is closed next");
}

function listen(
  options: ServeOptions,
  signal: AbortSignal,
  handler: (request: Request) => Promise<Response>,
): Deno.HttpServer {
  try {
    return Deno.serve({
      hostname: options.hostname,
      port: options.port,
      signal,
      onListen: ({ hostname, port }) => options.onListen(`http://${urlHost(hostname)}:${port}/`),
    }, handler);
  } catch (error) {
    if (error instanceof Deno.errors.AddrInUse) {
      throw new ConflictError(
        `Port ${options.port} on "${options.hostname}" is in use: choose another with --port ` +
          "(0: any free one)",
        { cause: error },
      );
    }
    if (error instanceof Deno.errors.AddrNotAvailable || error instanceof TypeError) {
      throw new UsageError(
        `Cannot listen on "${options.hostname}": give an address of this machine with --host`,
        { cause: error },
      );
    }
    throw error;
  }
}

function urlHost(hostname: string): string {
  return hostname.includes(":") ? `[${hostname}]` : hostname;
}
