/** What every command's action needs: the command line's options, its store, its log and stdout. */
import { DATABASE_URL_ENV, resolveStoreTarget, type StoreTarget } from "../config.ts";
import { dpoLog, type Log } from "../log.ts";
import type { Store } from "../store/database.ts";
import { parseSeconds } from "./arguments.ts";
import { DEFAULT_PIPELINE, type GlobalOptions, PIPELINE_ENV } from "./command_line.ts";
import { UsageError } from "../errors.ts";
import { importLazily } from "../lazy_import.ts";
import { withStore } from "../store/connect.ts";

export type { GlobalOptions };

/** The environment variable that turns the stat cache off for an agent: DPO_STAT_CACHE=0. */
export const STAT_CACHE_ENV = "DPO_STAT_CACHE";

/** The stat cache's file name, in the embedded store's folder or the user's cache folder. */
const STAT_CACHE_FILE = "stat-cache.sqlite";

/**
 * Shared by the commands; built once per process by the program, before the command line is
 * parsed (commands declare themselves with it), and given the command line's options after.
 */
export class CliContext {
  readonly log: Log = dpoLog();
  #globals: GlobalOptions | undefined;

  /** The options every command takes, as this invocation's command line gives them. */
  get globals(): GlobalOptions {
    if (this.#globals === undefined) {
      throw new TypeError("The command line's options were read before it was parsed");
    }
    return this.#globals;
  }

  set globals(globals: GlobalOptions) {
    this.#globals = globals;
  }

  /** The store this invocation names: positional URL, --db, DPO_DATABASE_URL, else .dpo/. */
  target(): StoreTarget {
    return resolveStoreTarget({
      positionalUrl: this.globals.positionalUrl,
      dbOption: this.globals.db,
      environmentUrl: Deno.env.get(DATABASE_URL_ENV),
    });
  }

  /** Opens the store, runs the work and closes the store. */
  async withStore<T>(work: (store: Store) => Promise<T>, migrateEmbedded = true): Promise<T> {
    const target = this.target();
    this.log.debug(`Using the store ${target.display}`);
    const settings = {
      connectTimeoutSeconds: parseSeconds(this.globals.connectTimeout, "--connect-timeout"),
      statementTimeoutSeconds: parseSeconds(this.globals.statementTimeout, "--statement-timeout"),
      log: this.log,
      migrateEmbedded,
    };
    // connect.ts brings node:sqlite (built into Deno) with it; PostgreSQL's driver, an npm
    // package, loads only when a server is opened.
    return await withStore(target, settings, work).catch(async (error) => {
      // The store says what failed; the words, flags included, are the CLI's.
      const { wordStoreError } = await importLazily<typeof import("./store_errors.ts")>(
        "./store_errors.ts",
        import.meta.url,
      );
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
    const named = this.globals.pipeline ?? Deno.env.get(PIPELINE_ENV);
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

  /** True with --format json. */
  wantsJson(): boolean {
    return this.globals.format === "json";
  }
}
