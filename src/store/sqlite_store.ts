/**
 * The embedded store: one SQLite file (node:sqlite, built into Deno), shared by any number of
 * dpo processes at once through SQLite's write-ahead log.
 */
import { DatabaseSync, type SQLInputValue, type StatementSync } from "node:sqlite";
import { embeddedStoreError, isBusy, translateSqliteError } from "./sqlite_errors.ts";
import {
  ensureFolder,
  exists,
  refuseEarlierStore,
  refuseNetworkFileSystem,
} from "./sqlite_file_checks.ts";
import type { Log } from "../log.ts";
import type { Queryable, Store } from "./database.ts";

export interface SqliteOptions {
  /** The store's file; its folder is created when missing. */
  path: string;
  /** How long to wait for another process's write transaction (--connect-timeout). */
  busyTimeoutSeconds: number;
  log: Log;
}

/**
 * Opens (creating on first use) the store file. Its tables have PostgreSQL's names without the
 * schema (`execution`), which a user's `sqlite3` shell shows as they are; dpo's statements name
 * them as on PostgreSQL (`dpo.execution`), and inSqliteSchema() maps that schema to the file.
 */
export function openSqliteStore(options: SqliteOptions): Store {
  const display = `sqlite:${options.path}`;
  // Synchronous file checks: each asynchronous one costs an event-loop turn on every command.
  const file = options.path;
  // Missing here (`db upgrade` on a new path; other commands write it from the image first).
  const isNew = !exists(file);
  if (isNew) {
    refuseEarlierStore(options.path);
    ensureFolder(options.path);
  }
  refuseNetworkFileSystem(options.path);
  let db: DatabaseSync;
  try {
    // The busy timeout is set as the file opens, before WAL is switched on: that switch takes a
    // lock others may hold (measured: 1 of 8 processes starting at once on a new file failed
    // with "database is locked" when the timeout came second).
    db = new DatabaseSync(file, { timeout: busyMilliseconds(options.busyTimeoutSeconds) });
  } catch (error) {
    throw translateSqliteError(error, options.path);
  }
  const clock = new TransactionClock();
  try {
    if (isNew) {
      // Set before the switch to WAL writes the first page, it is the file's for good (the
      // image's too, scripts/lib/sqlite_head_image.ts): a step's 200,000 model rows insert in
      // ~0.58 s instead of ~0.72 s with SQLite's 4 KiB (fewer pages to split and balance;
      // measured), and a command's few rows cost a few 16 KiB pages in the log. A no-op when
      // another process wrote the first page meanwhile.
      db.exec("PRAGMA page_size = 16384");
    }
    useWriteAheadLog(db, options.path);
    // The Python schema's foreign keys, enforced as PostgreSQL enforces them.
    db.exec("PRAGMA foreign_keys = ON");
    db.function("now", () => clock.now());
    db.aggregate("dpo_sum_exact", {
      start: null,
      // Given CAST(column AS text): a JavaScript number would round past 2^53.
      step: (sum: bigint | null, value) =>
        value === null ? sum : (sum ?? 0n) + BigInt(value as string),
      result: (sum: bigint | null) => sum === null ? null : String(sum),
    });
  } catch (error) {
    db.close();
    throw translateSqliteError(error, options.path);
  }
  return new SqliteStore(db, clock, { ...options, display });
}

/** Switches the store to SQLite's write-ahead log (a no-op once it is), or says why it cannot. */
function useWriteAheadLog(db: DatabaseSync, path: string): void {
  const { journal_mode } = db.prepare("PRAGMA journal_mode = WAL").get() as {
    journal_mode: string;
  };
  requireWriteAheadLog(journal_mode, path);
}

/** Fails when SQLite kept another journal mode than WAL, as some file systems make it. */
function requireWriteAheadLog(journalMode: string, path: string): void {
  if (journalMode !== "wal") {
    throw embeddedStoreError({ code: "no-wal", path, detail: journalMode });
  }
}

/**
 * PostgreSQL's now(): the time the transaction started, the same for every row it writes.
 * SQLite's own clock has milliseconds only, so dpo writes times itself, to the microsecond, as
 * fixed-width UTC text (sql_text.ts): `2026-11-24T21:18:52.792147+00:00`.
 */
class TransactionClock {
  #fixed: string | undefined;

  now(): string {
    return this.#fixed ?? utcMicroseconds();
  }

  /** Fixes now() for the transaction that starts, until end(). */
  start(): void {
    this.#fixed = utcMicroseconds();
  }

  end(): void {
    this.#fixed = undefined;
  }
}

/**
 * The wall clock to the microsecond: the process's start (performance.timeOrigin) plus the
 * monotonic time since, which Date alone lacks. Not Temporal: its first use costs each writing
 * command ~1.1 ms (measured), this ~0.35 ms.
 */
export function utcMicroseconds(): string {
  // ~1.8e15 µs since 1970: an exact integer in a double (below 2^53).
  const micros = Math.round((performance.timeOrigin + performance.now()) * 1000);
  const milliseconds = new Date(Math.floor(micros / 1000)).toISOString().slice(0, 23);
  return `${milliseconds}${String(micros % 1000).padStart(3, "0")}+00:00`;
}

class SqliteStore implements Store {
  readonly dialect = "sqlite";
  #db: DatabaseSync;
  #clock: TransactionClock;
  #options: SqliteOptions & { display: string };
  #statements = new Map<string, StatementSync>();
  // One connection: transactions run one after the other, never interleaved.
  #previous: Promise<unknown> = Promise.resolve();

  constructor(
    db: DatabaseSync,
    clock: TransactionClock,
    options: SqliteOptions & { display: string },
  ) {
    this.#db = db;
    this.#clock = clock;
    this.#options = options;
  }

  query<Row>(text: string, params: readonly unknown[] = []): Promise<Row[]> {
    try {
      return Promise.resolve(this.#statement(text).all(numbered(params)) as Row[]);
    } catch (error) {
      return Promise.reject(translateSqliteError(error, this.#options.path));
    }
  }

  exec(script: string): Promise<void> {
    try {
      this.#db.exec(inSqliteSchema(script));
      return Promise.resolve();
    } catch (error) {
      return Promise.reject(translateSqliteError(error, this.#options.path));
    }
  }

  transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T> {
    const next = this.#previous.then(() => this.#runTransaction(work));
    this.#previous = next.catch(() => {});
    return next;
  }

  close(): Promise<void> {
    this.#db.close();
    return Promise.resolve();
  }

  async #runTransaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T> {
    await this.#beginImmediate();
    this.#clock.start();
    try {
      const result = await work(this);
      this.#run("COMMIT");
      return result;
    } catch (error) {
      if (this.#db.isTransaction) this.#run("ROLLBACK");
      throw translateSqliteError(error, this.#options.path);
    } finally {
      this.#clock.end();
    }
  }

  /**
   * Takes the store's write lock up front (BEGIN IMMEDIATE), so that two writers never deadlock
   * upgrading read locks, and readers, on the write-ahead log, never wait. A busy store is
   * retried here rather than in SQLite's own busy handler, which would block the event loop:
   * the wait is said on stderr, SIGINT and SIGTERM still end it, and it is bounded by
   * --connect-timeout.
   */
  async #beginImmediate(): Promise<void> {
    const started = performance.now();
    const deadline = started + this.#options.busyTimeoutSeconds * 1000;
    let told = false;
    this.#run("PRAGMA busy_timeout = 0");
    try {
      for (let attempt = 0;; attempt++) {
        try {
          this.#run("BEGIN IMMEDIATE");
          return;
        } catch (error) {
          if (!isBusy(error)) throw translateSqliteError(error, this.#options.path);
          if (performance.now() >= deadline) {
            throw embeddedStoreError({
              code: "busy-timeout",
              path: this.#options.path,
              detail: (error as Error).message,
              waitedSeconds: this.#options.busyTimeoutSeconds,
            }, error);
          }
          // Said once the wait is noticeable: other writers' turns usually take milliseconds.
          if (!told && performance.now() - started >= WAIT_BEFORE_SAYING_MS) {
            told = true;
            this.#options.log.info(
              `Waiting for the embedded store "${this.#options.path}": another dpo process ` +
                "is writing to it",
            );
          }
          await delay(Math.min(50, 2 + attempt * 4));
        }
      }
    } finally {
      this.#run(`PRAGMA busy_timeout = ${busyMilliseconds(this.#options.busyTimeoutSeconds)}`);
    }
  }

  /**
   * Runs one statement without rows through a prepared statement: exec() reports no result code
   * (measured), and a busy store is known by its code.
   */
  #run(text: string): void {
    this.#statement(text).run();
  }

  #statement(text: string): StatementSync {
    let statement = this.#statements.get(text);
    if (statement === undefined) {
      statement = this.#db.prepare(inSqliteSchema(text));
      this.#statements.set(text, statement);
    }
    return statement;
  }
}

/**
 * dpo's statements name its tables in schema `dpo`, as on PostgreSQL; in SQLite they live in the
 * store file, which is schema `main`. ATTACH could name it `dpo`, but Deno allows ATTACH only to
 * processes with every permission (it escapes the file permissions), and dpo runs with four.
 * The text is always one of dpo's own constant statements, never user input.
 */
export function inSqliteSchema(statement: string): string {
  return statement.replace(/\bdpo\./g, "main.");
}

/** PostgreSQL's $1, $2… bind in node:sqlite by name: an object keyed "1", "2"…. */
function numbered(params: readonly unknown[]): Record<string, SQLInputValue> {
  const named: Record<string, SQLInputValue> = {};
  params.forEach((value, i) => named[i + 1] = value as SQLInputValue);
  return named;
}

function busyMilliseconds(seconds: number): number {
  return Math.max(0, Math.round(seconds * 1000));
}

const WAIT_BEFORE_SAYING_MS = 200;

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
