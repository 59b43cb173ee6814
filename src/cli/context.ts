/** What every command's action needs: its store, its log and stdout. */
import type { Command } from "commander";
import { DATABASE_URL_ENV, resolveStoreTarget, type StoreTarget } from "../config.ts";
import { dpoLog, type Log } from "../log.ts";
import type { Store } from "../store/database.ts";
import { withStore } from "../store/connect.ts";
import { parseSeconds } from "./arguments.ts";

/** The options every command accepts, before or after its name. */
export interface GlobalOptions {
  logLevel: string;
  db?: string;
  connectTimeout: string;
}

/** Default seconds to wait for a server connection or for the embedded store's lock. */
export const DEFAULT_CONNECT_TIMEOUT_SECONDS = 30;

/** Shared by the commands; built once per process by the program. */
export class CliContext {
  readonly log: Log = dpoLog();
  #program: Command;
  #positionalUrl: string | undefined;

  constructor(program: Command, positionalUrl: string | undefined) {
    this.#program = program;
    this.#positionalUrl = positionalUrl;
  }

  /** The store this invocation names: positional URL, --db, DPO_DATABASE_URL, else .dpo/. */
  target(): StoreTarget {
    const options = this.#program.opts<GlobalOptions>();
    return resolveStoreTarget({
      positionalUrl: this.#positionalUrl,
      dbOption: options.db,
      environmentUrl: Deno.env.get(DATABASE_URL_ENV),
    });
  }

  /** Opens the store, runs the work and closes the store. */
  withStore<T>(work: (store: Store) => Promise<T>, migrateEmbedded = true): Promise<T> {
    const options = this.#program.opts<GlobalOptions>();
    const target = this.target();
    this.log.debug(`Using the store ${target.display}`);
    return withStore(target, {
      connectTimeoutSeconds: parseSeconds(options.connectTimeout, "--connect-timeout"),
      log: this.log,
      migrateEmbedded,
    }, work);
  }

  /** Writes one result line on stdout; everything else goes to the log on stderr. */
  print(line: string): void {
    console.log(line);
  }
}
