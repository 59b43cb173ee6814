/**
 * A check of every message a PostgreSQL server sends, made before postgres.js reads it.
 * postgres.js 3.4.9 trusts the server: a RowDescription whose name has no NUL terminator makes it
 * loop forever (connection.js `while (x[index++] !== 0)`), a message shorter than its type needs
 * throws from an async handler where no promise catches it, a claimed length is buffered without
 * bound, unknown messages print "Postgres.js : Unknown …" lines, and it accepts a SCRAM exchange
 * that skips the server's proof. So dpo frames the byte stream itself, checks each message's
 * structure (not its meaning, which stays the driver's) and hands only whole, well-formed
 * messages on; anything else ends the connection with a PROTOCOL_ERROR.
 */
import { Buffer } from "node:buffer";
import type { Socket } from "node:net";

/** dpo's rows are small; a longer message is a broken or hostile server, not data. */
export const MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

/**
 * PBKDF2 rounds a server may ask for in SCRAM: PostgreSQL uses 4096 by default, and postgres.js
 * computes them synchronously, so a server asking for billions would freeze dpo (signals too).
 */
export const MAX_SCRAM_ITERATIONS = 1_000_000;

/** Notices between two ReadyForQuery: a few from a migration, never thousands from dpo's SQL. */
export const MAX_NOTICES = 10_000;

/** An error with the code connect.ts translates; `cause` keeps what the driver threw. */
export class WireError extends Error {
  override name = "WireError";
  readonly code: string;

  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
  }
}

export interface WireCheckOptions {
  /** host:port, for messages. */
  where: string;
  /** Whether a password was given: a server asking for one without it fails at once. */
  hasPassword: boolean;
  /** Called once with the error, before the socket is destroyed with it. */
  onViolation(error: WireError): void;
}

/**
 * Puts the check between the socket and postgres.js: the socket's "data" events carry only
 * whole messages that passed, and an exception the driver throws while reading one ends the
 * connection instead of the process.
 */
export function checkReplies(socket: Socket, options: WireCheckOptions): void {
  const check = new ReplyCheck(options);
  let pending = Buffer.alloc(0);
  let failed = false;
  // deno-lint-ignore no-explicit-any
  const emit = socket.emit as (...args: any[]) => boolean;
  const fail = (error: unknown) => {
    failed = true;
    const failure = error instanceof WireError ? error : new WireError(
      "PROTOCOL_ERROR",
      `the driver could not read a reply of the server at ${options.where}: ` +
        `${(error as Error)?.message ?? error}`,
      { cause: error },
    );
    options.onViolation(failure);
    socket.destroy(failure);
  };
  // deno-lint-ignore no-explicit-any
  socket.emit = function (this: Socket, event: string | symbol, ...args: any[]): boolean {
    if (event !== "data") {
      // A server that hangs up inside a message is broken, not restarting: no retry.
      if ((event === "end" || event === "close") && pending.length > 0 && !failed) {
        fail(
          new WireError(
            "PROTOCOL_ERROR",
            `the server at ${options.where} closed the connection in the middle of a message`,
          ),
        );
      }
      return emit.apply(this, [event, ...args]);
    }
    if (failed) return false;
    try {
      const chunk = Buffer.isBuffer(args[0]) ? args[0] : Buffer.from(args[0]);
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      const end = check.wholeMessages(pending);
      if (end === 0) return true;
      const complete = pending.subarray(0, end);
      pending = pending.subarray(end);
      return emit.apply(this, ["data", complete]);
    } catch (error) {
      fail(error);
      return false;
    }
  };
  const write = socket.write;
  // deno-lint-ignore no-explicit-any
  socket.write = function (this: Socket, chunk: any, ...rest: any[]): boolean {
    check.sent(chunk);
    return write.apply(this, [chunk, ...rest] as Parameters<Socket["write"]>);
  };
}

type ScramState = "none" | "started" | "continued" | "verified";

/** The state a check needs across messages: columns of the current result, the SCRAM step. */
class ReplyCheck {
  #options: WireCheckOptions;
  #columns: number | undefined;
  #scram: ScramState = "none";
  #clientNonce: string | undefined;
  #notices = 0;

  constructor(options: WireCheckOptions) {
    this.#options = options;
  }

  /** Checks each whole message at the start of `bytes`; answers where the last one ends. */
  wholeMessages(bytes: Uint8Array): number {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    let offset = 0;
    while (bytes.length - offset >= 5) {
      const length = view.getUint32(offset + 1);
      const type = String.fromCharCode(bytes[offset]);
      if (length < 4 || length > MAX_MESSAGE_BYTES) {
        throw this.#broken(`${article(describe(type))} claiming a length of ${length} bytes`);
      }
      if (bytes.length - offset < 1 + length) break;
      this.#message(type, bytes.subarray(offset + 5, offset + 1 + length));
      offset += 1 + length;
    }
    return offset;
  }

  /** Notes the nonce of SCRAM's first client message, which the server must extend. */
  sent(chunk: unknown): void {
    if (!(chunk instanceof Uint8Array) || this.#scram !== "started") return;
    const text = new TextDecoder("latin1").decode(chunk);
    const nonce = text.match(/n,,n=[^,]*,r=([A-Za-z0-9+/=]+)/);
    if (nonce) this.#clientNonce = nonce[1];
  }

  #message(type: string, body: Uint8Array): void {
    const reader = new Body(body, () => this.#broken(`a malformed ${describe(type)}`));
    switch (type) {
      case "R":
        return this.#authentication(reader);
      case "N":
        if (++this.#notices > MAX_NOTICES) {
          throw this.#broken(`more than ${MAX_NOTICES} NoticeResponses in a row`);
        }
      // falls through
      case "E":
        // Fields: a code byte and a NUL-terminated text each, then a NUL.
        while (reader.byte() !== 0) reader.cstring();
        return reader.end();
      case "S": // ParameterStatus
        reader.cstring();
        reader.cstring();
        return reader.end();
      case "K": // BackendKeyData
        reader.skip(8);
        return reader.end();
      case "Z": // ReadyForQuery
        if (!"ITE".includes(String.fromCharCode(reader.byte()))) throw reader.broken();
        this.#columns = undefined;
        this.#notices = 0;
        return reader.end();
      case "C": // CommandComplete
        reader.cstring();
        return reader.end();
      case "1": // ParseComplete
      case "2": // BindComplete
      case "3": // CloseComplete
      case "I": // EmptyQueryResponse
        return reader.end();
      case "n": // NoData
        this.#columns = 0;
        return reader.end();
      case "t": // ParameterDescription
        reader.skip(4 * reader.int16());
        return reader.end();
      case "T":
        return this.#rowDescription(reader);
      case "D":
        return this.#dataRow(reader);
      case "A": // NotificationResponse
        reader.skip(4);
        reader.cstring();
        reader.cstring();
        return reader.end();
      case "G":
      case "H":
      case "W":
      case "d":
      case "c":
        throw this.#broken("a COPY message, and dpo runs no COPY");
      default:
        throw this.#broken(article(describe(type)));
    }
  }

  #rowDescription(reader: Body): void {
    const count = reader.int16();
    for (let i = 0; i < count; i++) {
      reader.cstring();
      reader.skip(18); // table OID, column number, type OID, size, modifier, format
    }
    reader.end();
    this.#columns = count;
  }

  #dataRow(reader: Body): void {
    const count = reader.int16();
    if (count !== this.#columns) {
      throw this.#broken(
        `a DataRow of ${count} columns where the RowDescription said ${this.#columns ?? "none"}`,
      );
    }
    for (let i = 0; i < count; i++) {
      const length = reader.int32();
      if (length !== -1) reader.skip(length);
    }
    reader.end();
  }

  #authentication(reader: Body): void {
    const request = reader.int32();
    const needsPassword = () => {
      if (this.#options.hasPassword) return;
      throw new WireError(
        "NO_PASSWORD",
        `the server at ${this.#options.where} asks for a password and none was given`,
      );
    };
    switch (request) {
      case 0: // AuthenticationOk
        // A server that skips SCRAM's last step has not shown that it knows the password.
        if (this.#scram !== "none" && this.#scram !== "verified") {
          throw this.#broken("AuthenticationOk before the server proved it knows the password");
        }
        return reader.end();
      case 3: // cleartext
        needsPassword();
        return reader.end();
      case 5: // MD5, with a 4-byte salt
        needsPassword();
        reader.skip(4);
        return reader.end();
      case 10: { // SASL: the mechanisms the server offers
        const mechanisms: string[] = [];
        for (let name = reader.cstring(); name !== ""; name = reader.cstring()) {
          mechanisms.push(name);
        }
        reader.end();
        if (this.#scram !== "none") throw this.#broken("a second SASL start");
        if (!mechanisms.includes("SCRAM-SHA-256")) {
          throw new WireError(
            "AUTH_UNSUPPORTED",
            `the server at ${this.#options.where} offers only ${mechanisms.join(", ")} ` +
              "authentication, which dpo does not speak",
          );
        }
        needsPassword();
        this.#scram = "started";
        return;
      }
      case 11: // SASLContinue: r=<nonce>,s=<salt>,i=<iterations>
        if (this.#scram !== "started") throw this.#broken("a SCRAM message out of turn");
        this.#scramContinue(reader.rest());
        this.#scram = "continued";
        return;
      case 12: // SASLFinal: v=<signature>, which postgres.js compares
        if (this.#scram !== "continued") throw this.#broken("a SCRAM message out of turn");
        if (!/^v=[A-Za-z0-9+/=]+$/.test(reader.rest())) {
          throw this.#broken("a SCRAM final message without the server's signature");
        }
        this.#scram = "verified";
        return;
      default:
        throw new WireError(
          "AUTH_UNSUPPORTED",
          `the server at ${this.#options.where} asks for an authentication method dpo does not ` +
            `speak (${AUTH_METHODS[request] ?? `AuthenticationRequest ${request}`}): use ` +
            "scram-sha-256, md5 or password",
        );
    }
  }

  #scramContinue(text: string): void {
    const attributes = new Map(
      text.split(",").map((part) => [part.slice(0, 1), part.slice(2)] as const),
    );
    const nonce = attributes.get("r") ?? "";
    const iterations = attributes.get("i") ?? "";
    if (
      this.#clientNonce === undefined || !nonce.startsWith(this.#clientNonce) ||
      nonce.length === this.#clientNonce.length || !/^[\x21-\x2b\x2d-\x7e]+$/.test(nonce)
    ) {
      throw this.#broken("a SCRAM nonce that does not extend dpo's");
    }
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(attributes.get("s") ?? "")) {
      throw this.#broken("a SCRAM salt that is not base64");
    }
    if (!/^[1-9]\d{0,9}$/.test(iterations) || Number(iterations) > MAX_SCRAM_ITERATIONS) {
      throw this.#broken(
        `a SCRAM iteration count of "${iterations}" (dpo accepts 1 to ${MAX_SCRAM_ITERATIONS})`,
      );
    }
  }

  #broken(what: string): WireError {
    return new WireError(
      "PROTOCOL_ERROR",
      `the server at ${this.#options.where} sent ${what}`,
    );
  }
}

const AUTH_METHODS: Record<number, string> = {
  2: "Kerberos V5",
  6: "SCM credentials",
  7: "GSSAPI",
  8: "GSSAPI",
  9: "SSPI",
};

const MESSAGE_NAMES: Record<string, string> = {
  R: "Authentication message",
  E: "ErrorResponse",
  N: "NoticeResponse",
  S: "ParameterStatus",
  K: "BackendKeyData",
  Z: "ReadyForQuery",
  C: "CommandComplete",
  T: "RowDescription",
  D: "DataRow",
  t: "ParameterDescription",
  v: "NegotiateProtocolVersion message",
  V: "FunctionCallResponse",
  s: "PortalSuspended message",
};

function article(noun: string): string {
  return `${/^[AEIOU]/i.test(noun) ? "an" : "a"} ${noun}`;
}

function describe(type: string): string {
  const code = type.charCodeAt(0);
  return MESSAGE_NAMES[type] ??
    `message of unknown type ${
      code >= 0x20 && code < 0x7f ? `"${type}"` : `0x${code.toString(16)}`
    }`;
}

/** Reads a message body; every read past its end is the message's fault. */
class Body {
  #bytes: Uint8Array;
  #view: DataView;
  #offset = 0;
  readonly broken: () => WireError;

  constructor(bytes: Uint8Array, broken: () => WireError) {
    this.#bytes = bytes;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.broken = broken;
  }

  byte(): number {
    this.#need(1);
    return this.#bytes[this.#offset++];
  }

  int16(): number {
    this.#need(2);
    const value = this.#view.getInt16(this.#offset);
    this.#offset += 2;
    if (value < 0) throw this.broken();
    return value;
  }

  int32(): number {
    this.#need(4);
    const value = this.#view.getInt32(this.#offset);
    this.#offset += 4;
    return value;
  }

  skip(count: number): void {
    if (count < 0) throw this.broken();
    this.#need(count);
    this.#offset += count;
  }

  cstring(): string {
    const nul = this.#bytes.indexOf(0, this.#offset);
    if (nul === -1) throw this.broken();
    const text = new TextDecoder().decode(this.#bytes.subarray(this.#offset, nul));
    this.#offset = nul + 1;
    return text;
  }

  /** The remaining bytes as text. */
  rest(): string {
    const text = new TextDecoder().decode(this.#bytes.subarray(this.#offset));
    this.#offset = this.#bytes.length;
    return text;
  }

  end(): void {
    if (this.#offset !== this.#bytes.length) throw this.broken();
  }

  #need(count: number): void {
    if (this.#offset + count > this.#bytes.length) throw this.broken();
  }
}
