/**
 * One postgres.js connection on a socket dpo opened, with a deadline on everything it waits for:
 * postgres.js has none for a query and waits forever on a server that stops answering. Also a
 * guard for what the driver throws outside its promises.
 */
import postgres from "postgres";
import type { Socket } from "node:net";
import type { Log } from "../log.ts";
import { describeAddress, type PostgresSettings, type ServerAddress } from "../postgres_url.ts";
import { VERSION } from "../version.ts";
import { openSocket, type tlsPolicy } from "./postgres_socket.ts";
import { checkReplies, WireError } from "./postgres_wire.ts";

/**
 * How long past --statement-timeout dpo waits for the server's own cancellation (57014), which
 * names the statement, before it gives up on the server and closes the connection.
 */
export const STATEMENT_GRACE_SECONDS = 0.5;

/** Types read as dpo's SQL expects them: timestamps stay text (µs), int8 and numeric too. */
const TEXT_TYPES = {
  // Parameters are text already (encodeParameter): no driver serializer may touch them, since
  // postgres.js's date serializer goes through a JS Date (ms) and its JSON one re-encodes.
  dpoTimestamps: { to: 1184, from: [1082, 1114, 1184], serialize: String, parse: String },
  dpoJson: { to: 114, from: [114, 3802], serialize: String, parse: JSON.parse },
  dpoBoolean: { to: 16, from: [16], serialize: String, parse: (x: string) => x === "t" },
  dpoBytes: { to: 17, from: [17], serialize: String, parse: String },
};

/**
 * postgres.js on the socket dpo opened: one connection, no named prepared statements (PgBouncer
 * in transaction mode), no type lookup, notices to the log.
 */
function driver(
  settings: PostgresSettings,
  opened: { socket: Socket; address: ServerAddress },
  secondsLeft: number,
  log: Log,
) {
  const where = describeAddress(opened.address);
  const agent = Deno.env.get("DPO_AGENT");
  let handedOver = false;
  const options = {
    host: opened.address.host,
    port: opened.address.port,
    user: settings.user,
    password: settings.password ?? "",
    database: settings.database,
    // The socket is dpo's (TLS per sslmode, the reply check); a second one is never made: a
    // lost connection fails the command rather than silently starting a new session.
    socket: () => {
      if (handedOver) {
        throw new WireError("ECONNRESET", `the server at ${where} closed the connection`);
      }
      handedOver = true;
      return opened.socket;
    },
    ssl: false,
    max: 1,
    prepare: false,
    fetch_types: false,
    max_lifetime: null,
    // postgres.js's own limit, a second after dpo's, which ends the connection itself.
    connect_timeout: Math.max(1, Math.ceil(secondsLeft) + 1),
    types: TEXT_TYPES,
    // Never on stdout (postgres.js's default is console.log), which is for results only.
    onnotice: (notice: postgres.Notice) => log.debug(`PostgreSQL notice: ${notice.message}`),
    connection: {
      ...settings.startupParameters,
      application_name: settings.startupParameters.application_name ??
        (agent ? `dpo/${VERSION} ${agent}` : `dpo/${VERSION}`),
    },
  };
  return postgres(options as postgres.Options<typeof TEXT_TYPES>);
}

type DriverSql = ReturnType<typeof driver>;

/**
 * One postgres.js connection (max: 1: statements run in order on it, so BEGIN … COMMIT
 * through sql.unsafe is one transaction) on a socket dpo opened, with a deadline on everything it
 * waits for. Once failed (deadline, malformed reply, a throw outside the driver's promises) the
 * socket is destroyed and every later call fails with the same error.
 */
export class Session {
  #sql: DriverSql;
  #socket: Socket;
  #where: string;
  #failure: Error | undefined;
  #failedSignal = Promise.withResolvers<never>();
  #onUncaught = (event: PromiseRejectionEvent | ErrorEvent) => {
    // Whatever the driver throws where no promise of dpo's waits is this connection's failure.
    event.preventDefault();
    const cause = "reason" in event ? event.reason : event.error;
    this.fail(
      new WireError(
        "PROTOCOL_ERROR",
        `the driver failed on the connection to ${this.#where}: ${cause?.message ?? cause}`,
        { cause },
      ),
    );
  };

  private constructor(socket: Socket, where: string, sql: DriverSql) {
    this.#socket = socket;
    this.#where = where;
    this.#sql = sql;
    this.#failedSignal.promise.catch(() => {});
    globalThis.addEventListener("unhandledrejection", this.#onUncaught);
    globalThis.addEventListener("error", this.#onUncaught);
  }

  /** Opens the socket and lets postgres.js start up and authenticate, within `seconds`. */
  static async open(
    settings: PostgresSettings,
    tls: ReturnType<typeof tlsPolicy>,
    seconds: number,
    log: Log,
  ): Promise<Session> {
    const timeout = () =>
      new WireError(
        "CONNECT_TIMEOUT",
        `no answer from ${settings.addresses.map(describeAddress).join(", ")} within ${seconds} s`,
      );
    const deadline = Date.now() + seconds * 1000;
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(timeout()), seconds * 1000);
    let opened: Awaited<ReturnType<typeof openSocket>>;
    try {
      opened = await openSocket(settings.addresses, tls, abort.signal);
    } finally {
      clearTimeout(timer);
    }
    const where = describeAddress(opened.address);
    let sql: DriverSql;
    try {
      sql = driver(settings, opened, (deadline - Date.now()) / 1000, log);
    } catch (error) {
      opened.socket.destroy();
      throw error;
    }
    const session = new Session(opened.socket, where, sql);
    // Before postgres.js reads anything: it starts reading when the first statement connects.
    checkReplies(opened.socket, {
      where,
      hasPassword: settings.password !== undefined,
      onViolation: (error) => session.fail(error),
    });
    try {
      // postgres.js connects on the first statement; an empty one costs the server nothing.
      // (Not sql.reserve(): with fetch_types off it never resolves in postgres.js 3.4.9.)
      await session.#within(() => sql.unsafe(""), (deadline - Date.now()) / 1000, timeout);
    } catch (error) {
      await session.close();
      throw error;
    }
    return session;
  }

  /** False once the connection failed or the server closed it. */
  get usable(): boolean {
    return this.#failure === undefined && !this.#socket.destroyed;
  }

  /**
   * One statement, its rows and command tag; without parameters through the simple protocol, so
   * a script of several statements (a migration) runs too.
   */
  async statement(
    text: string,
    params: readonly unknown[] | undefined,
    statementSeconds: number,
  ): Promise<{ rows: Record<string, unknown>[]; command: string }> {
    const sql = this.#sql;
    const seconds = statementSeconds + STATEMENT_GRACE_SECONDS;
    const result = await this.#within(
      () => params === undefined ? sql.unsafe(text) : sql.unsafe(text, params.map(encodeParameter)),
      seconds,
      () =>
        new WireError(
          "STATEMENT_DEADLINE",
          `the server at ${this.#where} did not answer within ${seconds} s`,
        ),
    );
    return { rows: Array.from(result), command: result.command };
  }

  /** Ends the failure-free connection with a Terminate; a failed one is destroyed. */
  async close(): Promise<void> {
    try {
      if (this.#failure === undefined) {
        await this.#within(() => this.#sql.end(), 1, () => new Error("close timed out"));
        return;
      }
    } catch {
      // Destroyed below.
    } finally {
      globalThis.removeEventListener("unhandledrejection", this.#onUncaught);
      globalThis.removeEventListener("error", this.#onUncaught);
    }
    this.#socket.destroy();
    await this.#sql.end({ timeout: 0 }).catch(() => {});
  }

  /** Fails the connection: every wait on it ends with `error`. */
  fail(error: Error): void {
    if (this.#failure !== undefined) return;
    this.#failure = error;
    this.#failedSignal.reject(error);
    this.#socket.destroy();
  }

  /** Runs `work`, failing the connection if it takes longer than `seconds`. */
  async #within<T>(work: () => Promise<T>, seconds: number, timeout: () => Error): Promise<T> {
    if (this.#failure !== undefined) throw this.#failure;
    if (this.#socket.destroyed) {
      throw new WireError("CONNECTION_CLOSED", `the connection to ${this.#where} was closed`);
    }
    const timer = setTimeout(() => this.fail(timeout()), Math.max(0, seconds) * 1000);
    try {
      return await Promise.race([work(), this.#failedSignal.promise]);
    } finally {
      clearTimeout(timer);
    }
  }
}

/** A parameter in PostgreSQL's text format; null stays SQL NULL. */
function encodeParameter(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value.toISOString();
  if (typeof value === "boolean") return value ? "t" : "f";
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}
