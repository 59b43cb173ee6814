/**
 * One connection to a PostgreSQL server (or PgBouncer) speaking protocol 3.0: start-up and
 * authentication, statements with text parameters, scripts, and a clean goodbye. dpo runs one
 * short command per process, so there is no pool, no named statement and no pipelining.
 */
import { md5Password, ScramClient } from "./auth.ts";
import type { ConnectionConfig, ServerAddress } from "./config.ts";
import { ClientError, ServerError } from "./errors.ts";
import {
  type BackendMessage,
  BodyReader,
  extendedQuery,
  MessageReader,
  passwordMessage,
  readFields,
  saslInitialResponse,
  saslResponse,
  simpleQuery,
  sslRequest,
  startupMessage,
  terminate,
} from "./protocol.ts";
import { connectPlain, describeAddress, type Transport } from "./transport.ts";
import { encodeParameter, parserFor, type ValueParser } from "./values.ts";
import type { ConnectionOptions } from "node:tls";

/** How TLS is negotiated: never, when the server offers it, or always with these checks. */
export type TlsPolicy =
  | { kind: "disable" }
  | { kind: "prefer" }
  | { kind: "require"; options: ConnectionOptions; direct: boolean };

export interface ConnectOptions {
  config: ConnectionConfig;
  tls: TlsPolicy;
  connectTimeoutSeconds: number;
  onNotice(message: string): void;
}

type Row = Record<string, unknown>;

interface Column {
  name: string;
  parse?: ValueParser;
}

export class PgClient {
  #transport: Transport;
  #reader: MessageReader;
  #onNotice: (message: string) => void;
  #where: string;
  #busy: Promise<unknown> = Promise.resolve();
  #lost = false;

  private constructor(transport: Transport, options: ConnectOptions, where: string) {
    this.#transport = transport;
    this.#reader = new MessageReader(transport);
    this.#onNotice = options.onNotice;
    this.#where = where;
  }

  /** Connects to the first address that answers, within the connect timeout. */
  static async connect(options: ConnectOptions): Promise<PgClient> {
    let lastError: unknown;
    for (const address of options.config.addresses) {
      try {
        return await withTimeout(
          (track) => PgClient.#open(address, options, track),
          options.connectTimeoutSeconds,
          describeAddress(address),
        );
      } catch (error) {
        lastError = error;
        // A server that answered and refused (bad password…) is final; a dead one is not.
        if (error instanceof ServerError) throw error;
      }
    }
    throw lastError;
  }

  static async #open(
    address: ServerAddress,
    options: ConnectOptions,
    track: (transport: Transport) => void,
  ): Promise<PgClient> {
    const transport = await negotiateTransport(address, options.tls, track);
    const client = new PgClient(transport, options, describeAddress(address));
    try {
      await client.#startup(options.config);
    } catch (error) {
      transport.close();
      throw error;
    }
    return client;
  }

  /** One statement with parameters ($1, $2…); its rows as objects keyed by column name. */
  query(text: string, params: readonly unknown[] = []): Promise<Row[]> {
    return this.#serialised(async () => {
      await this.#write(extendedQuery(text, params.map(encodeParameter)));
      return (await this.#collect()).rows;
    });
  }

  /**
   * A script of any number of statements without parameters (the simple protocol); answers the
   * last statement's command tag, e.g. "COMMIT", or "ROLLBACK" for a COMMIT of a failed transaction.
   */
  script(text: string): Promise<string | undefined> {
    return this.#serialised(async () => {
      await this.#write(simpleQuery(text));
      return (await this.#collect()).tag;
    });
  }

  /** Says goodbye so the server logs no broken connection, and closes the socket. */
  async close(): Promise<void> {
    if (!this.#lost) await this.#transport.write(terminate()).catch(() => {});
    this.#transport.close();
  }

  #serialised<T>(work: () => Promise<T>): Promise<T> {
    const result = this.#busy.then(work);
    this.#busy = result.catch(() => {});
    return result;
  }

  async #startup(config: ConnectionConfig): Promise<void> {
    await this.#transport.write(startupMessage({
      ...config.startupParameters,
      user: config.user,
      database: config.database,
      // Results are decoded as UTF-8, whatever the URL says.
      client_encoding: "UTF8",
    }));
    let scram: ScramClient | undefined;
    let serverVerified = false;
    for (;;) {
      const message = await this.#nextDuringStartup();
      if (message.type === "E") throw new ServerError(readFields(message.body));
      if (message.type === "Z") return;
      if (message.type !== "R") {
        this.#handleAsynchronous(message);
        continue;
      }
      const body = new BodyReader(message.body);
      const request = body.int32();
      switch (request) {
        case 0: // AuthenticationOk
          // A server that skips SCRAM's last step has not shown that it knows the password.
          if (scram !== undefined && !serverVerified) throw this.#protocolError("SCRAM");
          break;
        case 3: // cleartext
          await this.#write(passwordMessage(this.#requirePassword(config)));
          break;
        case 5: // md5
          await this.#write(
            passwordMessage(
              await md5Password(config.user, this.#requirePassword(config), body.rest()),
            ),
          );
          break;
        case 10: { // SASL: the mechanisms the server offers
          const mechanisms: string[] = [];
          for (let name = body.cstring(); name !== ""; name = body.cstring()) {
            mechanisms.push(name);
          }
          if (!mechanisms.includes("SCRAM-SHA-256")) {
            throw new ClientError(
              "AUTH_UNSUPPORTED",
              `the server at ${this.#where} offers only ${mechanisms.join(", ")} ` +
                "authentication, which dpo does not speak",
            );
          }
          scram = new ScramClient(this.#requirePassword(config));
          await this.#write(saslInitialResponse("SCRAM-SHA-256", scram.firstMessage()));
          break;
        }
        case 11: // SASLContinue
          if (scram === undefined) throw this.#protocolError("SASL");
          await this.#write(saslResponse(await scram.finalMessage(body.text(body.rest().length))));
          break;
        case 12: // SASLFinal
          if (scram === undefined) throw this.#protocolError("SASL");
          scram.verifyServer(body.text(body.rest().length));
          serverVerified = true;
          break;
        default:
          throw new ClientError(
            "AUTH_UNSUPPORTED",
            `the server at ${this.#where} asks for an authentication method dpo does not ` +
              `speak (AuthenticationRequest ${request}): use scram-sha-256, md5 or password`,
          );
      }
    }
  }

  #protocolError(step: string): ClientError {
    return new ClientError(
      "PROTOCOL_ERROR",
      `the server at ${this.#where} broke off the ${step} authentication exchange`,
    );
  }

  #requirePassword(config: ConnectionConfig): string {
    if (config.password !== undefined) return config.password;
    throw new ClientError(
      "NO_PASSWORD",
      `the server at ${this.#where} asks for a password and none was given`,
    );
  }

  async #nextDuringStartup(): Promise<BackendMessage> {
    const message = await this.#reader.next();
    if (message === null) {
      throw new ClientError(
        "ECONNRESET",
        `the server at ${this.#where} closed the connection during start-up`,
      );
    }
    return message;
  }

  /**
   * Reads up to ReadyForQuery: the rows and the last command tag. A server error is thrown then,
   * once the server is ready for the next statement again.
   */
  async #collect(): Promise<{ rows: Row[]; tag?: string }> {
    let columns: Column[] = [];
    const rows: Row[] = [];
    let tag: string | undefined;
    let failure: ServerError | undefined;
    for (;;) {
      const message = await this.#nextInSession(failure);
      switch (message.type) {
        case "T":
          columns = readColumns(message.body);
          break;
        case "D":
          rows.push(readRow(message.body, columns));
          break;
        case "E":
          failure ??= new ServerError(readFields(message.body));
          break;
        case "Z":
          if (failure) throw failure;
          return { rows, tag };
        case "C": // CommandComplete
          tag = new BodyReader(message.body).cstring();
          break;
        case "1": // ParseComplete
        case "2": // BindComplete
        case "n": // NoData
        case "I": // EmptyQueryResponse
          break;
        case "G": // CopyInResponse
        case "H": // CopyOutResponse
        case "W": // CopyBothResponse
          // The server now waits for data dpo never sends: the session cannot go on.
          this.#lost = true;
          throw new ClientError("PROTOCOL_ERROR", "dpo does not run COPY statements");
        default:
          this.#handleAsynchronous(message);
      }
    }
  }

  /**
   * The next message of a running statement. A connection that ends now was lost: the error the
   * server sent before closing (an admin shutdown, a terminated backend) says best why.
   */
  async #nextInSession(pending: ServerError | undefined): Promise<BackendMessage> {
    let message: BackendMessage | null;
    try {
      message = await this.#reader.next();
    } catch (error) {
      throw this.#lostConnection(pending ?? error);
    }
    if (message === null) throw this.#lostConnection(pending);
    return message;
  }

  async #write(bytes: Uint8Array): Promise<void> {
    try {
      await this.#transport.write(bytes);
    } catch (error) {
      throw this.#lostConnection(error);
    }
  }

  #lostConnection(cause: unknown): unknown {
    this.#lost = true;
    if (cause instanceof ServerError) return cause;
    return new ClientError("CONNECTION_CLOSED", `the connection to ${this.#where} was closed`, {
      cause,
    });
  }

  /** Notices go to the log; parameter changes and notifications are of no use to dpo. */
  #handleAsynchronous(message: BackendMessage): void {
    if (message.type === "N") {
      this.#onNotice(readFields(message.body).get("M") ?? "");
    }
  }
}

/** The plain socket, or TLS as the policy and the server's answer decide. */
async function negotiateTransport(
  address: ServerAddress,
  tls: TlsPolicy,
  track: (transport: Transport) => void,
): Promise<Transport> {
  const unixSocket = address.host.startsWith("/");
  if (tls.kind === "require" && !unixSocket) {
    const { connectTlsTransport } = await import("./tls_transport.ts");
    const transport = await connectTlsTransport(address, tls.options, tls.direct);
    track(transport);
    return transport;
  }
  const plain = await connectPlain(address);
  track(plain);
  if (tls.kind === "disable" || unixSocket) return plain;
  // sslmode=prefer: ask; most servers on a private network say no, and the socket stays Deno's.
  await plain.write(sslRequest());
  const answer = await new MessageReader(plain).singleByte();
  if (answer === "N") return plain;
  plain.close();
  if (answer === null) {
    throw new ClientError(
      "ECONNRESET",
      `the server at ${describeAddress(address)} closed the connection`,
    );
  }
  if (answer !== "S") {
    throw new ClientError(
      "PROTOCOL_ERROR",
      `the server at ${describeAddress(address)} does not speak PostgreSQL's protocol: ` +
        "check the URL's host and port",
    );
  }
  // It says yes: TLS over a new connection through node:tls, unverified as libpq's prefer.
  const { connectTlsTransport } = await import("./tls_transport.ts");
  const transport = await connectTlsTransport(address, {
    rejectUnauthorized: false,
    checkServerIdentity: () => undefined,
  }, false);
  track(transport);
  return transport;
}

/**
 * Runs `open`; past the timeout, rejects and closes whatever transport it had opened.
 * AbortSignal.timeout rather than setTimeout: Deno's first setTimeout loads its Node-compatible
 * timers, ~8 ms of a light command's start-up (measured), and this timer never keeps the process
 * alive on its own.
 */
async function withTimeout<T>(
  open: (track: (transport: Transport) => void) => Promise<T>,
  seconds: number,
  where: string,
): Promise<T> {
  const opened: Transport[] = [];
  const deadline = AbortSignal.timeout(seconds * 1000);
  let expire = () => {};
  const expiry = new Promise<never>((_, reject) => {
    expire = () => {
      for (const transport of opened) transport.close();
      reject(new ClientError("CONNECT_TIMEOUT", `connect timeout expired for ${where}`));
    };
    deadline.addEventListener("abort", expire, { once: true });
  });
  try {
    return await Promise.race([
      open((transport) => deadline.aborted ? transport.close() : opened.push(transport)),
      expiry,
    ]);
  } finally {
    deadline.removeEventListener("abort", expire);
  }
}

function readColumns(body: Uint8Array): Column[] {
  const reader = new BodyReader(body);
  const count = reader.int16();
  const columns: Column[] = [];
  for (let i = 0; i < count; i++) {
    const name = reader.cstring();
    reader.offset += 6; // table OID, column number
    const typeOid = reader.int32();
    reader.offset += 8; // type size, type modifier, format
    columns.push({ name, parse: parserFor(typeOid) });
  }
  return columns;
}

function readRow(body: Uint8Array, columns: Column[]): Row {
  const reader = new BodyReader(body);
  const count = reader.int16();
  const row: Row = {};
  for (let i = 0; i < count; i++) {
    const length = reader.int32();
    const column = columns[i];
    if (length === -1) {
      row[column.name] = null;
      continue;
    }
    const text = reader.text(length);
    row[column.name] = column.parse ? column.parse(text) : text;
  }
  return row;
}
