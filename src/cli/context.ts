/** What every command's action needs: its store, its log and stdout. */
import type { Command } from "./parser.ts";
import { DATABASE_URL_ENV, resolveStoreTarget, type StoreTarget } from "../config.ts";
import { dpoLog, type Log } from "../log.ts";
import type { Store } from "../store/database.ts";
import { parseSeconds } from "./arguments.ts";
import { UsageError } from "../errors.ts";

/** The options every command accepts, before or after its name. */
export interface GlobalOptions {
  logLevel: string;
  db?: string;
  connectTimeout: string;
  statementTimeout: string;
  format: string;
  pipeline?: string;
}

/** The environment variable that names the pipeline when --pipeline does not. */
export const PIPELINE_ENV = "DPO_PIPELINE";

/** The pipeline of every execution the Python tool wrote, and of runs that name none. */
export const DEFAULT_PIPELINE = "default";

/** The environment variable that turns the stat cache off for an agent: DPO_STAT_CACHE=0. */
export const STAT_CACHE_ENV = "DPO_STAT_CACHE";

/** The stat cache's file name, in the embedded store's folder or the user's cache folder. */
const STAT_CACHE_FILE = "stat-cache.sqlite";

/** Output formats: the seed's text, or one JSON document. */
export const OUTPUT_FORMATS = ["text", "json"] as const;

/** Default seconds to wait for a server connection or for the embedded store's lock. */
export const DEFAULT_CONNECT_TIMEOUT_SECONDS = 10;

/** Default limit on any one statement and on waiting for a row lock, in seconds. */
export const DEFAULT_STATEMENT_TIMEOUT_SECONDS = 120;

/** Shared by the commands; built once per process by the program. */
export class CliContext {
  readonly log: Log = dpoLog();
  #program: Command;
  #positionalUrl: string | undefined;

  constructor(program: Command) {
    this.#program = program;
  }

  /** The database URL given before the command, taken out of argv before parsing. */
  set positionalUrl(url: string | undefined) {
    this.#positionalUrl = url;
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
  async withStore<T>(work: (store: Store) => Promise<T>, migrateEmbedded = true): Promise<T> {
    const options = this.#program.opts<GlobalOptions>();
    const target = this.target();
    this.log.debug(`Using the store ${target.display}`);
    const settings = {
      connectTimeoutSeconds: parseSeconds(options.connectTimeout, "--connect-timeout"),
      statementTimeoutSeconds: parseSeconds(options.statementTimeout, "--statement-timeout"),
      log: this.log,
      migrateEmbedded,
    };
    // Loaded on first use: the drivers behind it would slow down --help, --version and usage
    // errors, which never open a store.
    const { withStore } = await import("../store/connect.ts");
    return await withStore(target, settings, work).catch(async (error) => {
      // The store says what failed; the words, flags included, are the CLI's.
      const { wordStoreError } = await import("./store_errors.ts");
      throw wordStoreError(error, target);
    });
  }

  /**
   * Where init-step's stat cache lives: beside the embedded store (in .dpo/), or with a server in
   * $XDG_CACHE_HOME/dpo (else ~/.cache/dpo); undefined when DPO_STAT_CACHE turns it off or no
   * cache folder is known.
   */
  statCachePath(): string | undefined {
    const setting = Deno.env.get(STAT_CACHE_ENV)?.trim().toLowerCase();
    if (setting !== undefined && ["0", "false", "off", "no"].includes(setting)) return undefined;
    const target = this.target();
    if (target.kind === "sqlite") {
      const slash = target.path.lastIndexOf("/");
      return slash === -1 ? STAT_CACHE_FILE : `${target.path.slice(0, slash)}/${STAT_CACHE_FILE}`;
    }
    // The XDG rule: a relative XDG_CACHE_HOME is ignored.
    const xdgCache = Deno.env.get("XDG_CACHE_HOME");
    const home = Deno.env.get("HOME");
    const cacheHome = xdgCache?.startsWith("/") ? xdgCache : home ? `${home}/.cache` : undefined;
    return cacheHome === undefined ? undefined : `${cacheHome}/dpo/${STAT_CACHE_FILE}`;
  }

  /** The pipeline this invocation's executions belong to. */
  pipeline(): string {
    const named = this.#program.opts<GlobalOptions>().pipeline ?? Deno.env.get(PIPELINE_ENV);
    const pipeline = named?.trim() || DEFAULT_PIPELINE;
    if ([...pipeline].length > 100) {
      throw new UsageError(`Pipeline "${pipeline}" is longer than 100 characters: shorten it`);
    }
    return pipeline;
  }

  /** Writes one result line on stdout; everything else goes to the log on stderr. */
  print(line: string): void {
    console.log(line);
  }

  /**
   * Writes a command's result: one JSON document with --format json, else the seed's text
   * (nothing at all when `text` is null, as for the complete commands).
   */
  emit(json: unknown, text: string | null): void {
    if (this.wantsJson()) this.print(JSON.stringify(json));
    else if (text !== null) this.print(text);
  }

  /** True with --format json; a format other than text or json is a usage error. */
  wantsJson(): boolean {
    const format = this.#program.opts<GlobalOptions>().format.toLowerCase();
    if (!(OUTPUT_FORMATS as readonly string[]).includes(format)) {
      throw new UsageError(`Format "${format}" is not known: choose text or json`);
    }
    return format === "json";
  }
}
