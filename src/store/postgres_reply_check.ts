/**
 * The structure of each message a PostgreSQL server sends: its length, its fields, its place in
 * the exchange (a DataRow has the columns its RowDescription announced). Not its meaning, which
 * stays the driver's.
 */
import { AuthenticationCheck } from "./postgres_auth_check.ts";
import { Body } from "./postgres_message_body.ts";
import { WireError } from "./postgres_wire_error.ts";

/** dpo's rows are small; a longer message is a broken or hostile server, not data. */
export const MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

/** Notices between two ReadyForQuery: a few from a migration, never thousands from dpo's SQL. */
export const MAX_NOTICES = 10_000;

/** The messages whose structure needs nothing from earlier ones: their fields, in order. */
const STATELESS_LAYOUTS: Record<string, (body: Body) => void> = {
  E: readFields, // ErrorResponse
  S: (body) => { // ParameterStatus
    body.cstring();
    body.cstring();
  },
  K: (body) => body.skip(8), // BackendKeyData
  C: (body) => void body.cstring(), // CommandComplete
  "1": () => {}, // ParseComplete
  "2": () => {}, // BindComplete
  "3": () => {}, // CloseComplete
  I: () => {}, // EmptyQueryResponse
  t: (body) => body.skip(4 * body.int16()), // ParameterDescription
  A: (body) => { // NotificationResponse
    body.skip(4);
    body.cstring();
    body.cstring();
  },
};

/** The state a check needs across messages: columns of the current result, notices, SCRAM. */
export class ReplyCheck {
  #where: string;
  #authentication: AuthenticationCheck;
  #columns: number | undefined;
  #notices = 0;

  constructor(options: { where: string; hasPassword: boolean }) {
    this.#where = options.where;
    this.#authentication = new AuthenticationCheck(options, (what) => this.#broken(what));
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

  /** Notes what dpo sends that a later reply must match (SCRAM's client nonce). */
  sent(chunk: unknown): void {
    this.#authentication.sent(chunk);
  }

  #message(type: string, bytes: Uint8Array): void {
    const body = new Body(bytes, () => this.#broken(`a malformed ${describe(type)}`));
    const layout = STATELESS_LAYOUTS[type];
    if (layout) {
      layout(body);
      return body.end();
    }
    switch (type) {
      case "R":
        return this.#authentication.check(body);
      case "N": // NoticeResponse
        if (++this.#notices > MAX_NOTICES) {
          throw this.#broken(`more than ${MAX_NOTICES} NoticeResponses in a row`);
        }
        readFields(body);
        return body.end();
      case "Z": // ReadyForQuery
        if (!"ITE".includes(String.fromCharCode(body.byte()))) throw body.broken();
        this.#columns = undefined;
        this.#notices = 0;
        return body.end();
      case "n": // NoData
        this.#columns = 0;
        return body.end();
      case "T":
        return this.#rowDescription(body);
      case "D":
        return this.#dataRow(body);
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

  #rowDescription(body: Body): void {
    const count = body.int16();
    for (let i = 0; i < count; i++) {
      body.cstring();
      body.skip(18); // table OID, column number, type OID, size, modifier, format
    }
    body.end();
    this.#columns = count;
  }

  #dataRow(body: Body): void {
    const count = body.int16();
    if (count !== this.#columns) {
      throw this.#broken(
        `a DataRow of ${count} columns where the RowDescription said ${this.#columns ?? "none"}`,
      );
    }
    for (let i = 0; i < count; i++) {
      const length = body.int32();
      if (length !== -1) body.skip(length);
    }
    body.end();
  }

  #broken(what: string): WireError {
    return new WireError("PROTOCOL_ERROR", `the server at ${this.#where} sent ${what}`);
  }
}

// An ErrorResponse's or NoticeResponse's fields: a code byte and a NUL-terminated text each,
// then a NUL.
function readFields(body: Body): void {
  while (body.byte() !== 0) body.cstring();
}

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
