/**
 * PostgreSQL's frontend/backend protocol 3.0: the messages dpo sends, and a reader that cuts the
 * server's byte stream into messages. https://www.postgresql.org/docs/current/protocol-message-formats.html
 */

import { ClientError } from "./errors.ts";

const encoder = new TextEncoder();

/**
 * Builds messages into one buffer: each a type byte (none for start-up messages), a length, then
 * the fields. Given the exact size up front it never copies, which matters for init-step's
 * statement: its two parameters hold every model name and checksum of the step.
 */
class MessageWriter {
  #bytes: Uint8Array;
  #view: DataView;
  #length = 0;
  #lengthAt = 0;

  constructor(capacity = 256) {
    this.#bytes = new Uint8Array(capacity);
    this.#view = new DataView(this.#bytes.buffer);
  }

  #reserve(size: number): void {
    if (this.#length + size <= this.#bytes.length) return;
    const grown = new Uint8Array(Math.max(this.#bytes.length * 2, this.#length + size));
    grown.set(this.#bytes.subarray(0, this.#length));
    this.#bytes = grown;
    this.#view = new DataView(grown.buffer);
  }

  /** Starts a message; `type` is absent only for SSLRequest and the startup message. */
  begin(type?: string): this {
    if (type !== undefined) this.byte(type.charCodeAt(0));
    this.#lengthAt = this.#length;
    return this.int32(0);
  }

  /** Fills in the length of the message begun last. */
  end(): this {
    this.#view.setInt32(this.#lengthAt, this.#length - this.#lengthAt);
    return this;
  }

  byte(value: number): this {
    this.#reserve(1);
    this.#bytes[this.#length++] = value;
    return this;
  }

  int16(value: number): this {
    this.#reserve(2);
    this.#view.setInt16(this.#length, value);
    this.#length += 2;
    return this;
  }

  int32(value: number): this {
    this.#reserve(4);
    this.#view.setInt32(this.#length, value);
    this.#length += 4;
    return this;
  }

  bytes(value: Uint8Array): this {
    this.#reserve(value.length);
    this.#bytes.set(value, this.#length);
    this.#length += value.length;
    return this;
  }

  /** A NUL-terminated string. */
  cstring(value: string): this {
    return this.bytes(encoder.encode(value)).byte(0);
  }

  /** What was written: the buffer itself when it was sized exactly. */
  written(): Uint8Array {
    return this.#length === this.#bytes.length ? this.#bytes : this.#bytes.slice(0, this.#length);
  }
}

function message(type: string, fill: (writer: MessageWriter) => unknown): Uint8Array {
  const writer = new MessageWriter().begin(type);
  fill(writer);
  return writer.end().written();
}

const PROTOCOL_VERSION_3 = 196608;
const SSL_REQUEST_CODE = 80877103;

export function sslRequest(): Uint8Array {
  return new MessageWriter(8).begin().int32(SSL_REQUEST_CODE).end().written();
}

export function startupMessage(parameters: Record<string, string>): Uint8Array {
  const writer = new MessageWriter().begin().int32(PROTOCOL_VERSION_3);
  for (const [name, value] of Object.entries(parameters)) writer.cstring(name).cstring(value);
  return writer.byte(0).end().written();
}

export function passwordMessage(password: string): Uint8Array {
  return message("p", (w) => w.cstring(password));
}

export function saslInitialResponse(mechanism: string, response: string): Uint8Array {
  const bytes = encoder.encode(response);
  return message("p", (w) => w.cstring(mechanism).int32(bytes.length).bytes(bytes));
}

export function saslResponse(response: string): Uint8Array {
  return message("p", (w) => w.bytes(encoder.encode(response)));
}

/** A simple query: any number of statements, no parameters. */
export function simpleQuery(text: string): Uint8Array {
  return message("Q", (w) => w.cstring(text));
}

/**
 * One statement with text parameters through the unnamed statement and portal (nothing named
 * survives a transaction-pooling PgBouncer): Parse, Bind, Describe, Execute, Sync in one write,
 * into one buffer of exactly their size. Parameter types are left to the server (0 = unknown):
 * `$1::uuid` and `col = $1` need no type from dpo.
 */
export function extendedQuery(text: string, params: readonly (Uint8Array | null)[]): Uint8Array {
  const query = encoder.encode(text);
  const paramBytes = params.reduce((sum, param) => sum + 4 + (param?.length ?? 0), 0);
  const size = (5 + 1 + query.length + 1 + 2) + (5 + 1 + 1 + 2 + 2 + paramBytes + 2) +
    (5 + 1 + 1) + (5 + 1 + 4) + 5;
  const writer = new MessageWriter(size);
  writer.begin("P").byte(0).bytes(query).byte(0).int16(0).end();
  writer.begin("B").byte(0).byte(0).int16(0).int16(params.length);
  for (const param of params) {
    if (param === null) writer.int32(-1);
    else writer.int32(param.length).bytes(param);
  }
  writer.int16(0).end();
  writer.begin("D").byte("P".charCodeAt(0)).byte(0).end();
  writer.begin("E").byte(0).int32(0).end();
  writer.begin("S").end();
  return writer.written();
}

export function terminate(): Uint8Array {
  return message("X", () => {});
}

/** One message from the server: its type letter and its body (without type and length). */
export interface BackendMessage {
  type: string;
  body: Uint8Array;
}

/** Something bytes can be read from: a socket, plain or TLS. */
export interface ByteSource {
  read(into: Uint8Array): Promise<number | null>;
}

/** Cuts the server's stream into messages, reading as much as the socket has each time. */
export class MessageReader {
  #source: ByteSource;
  #buffer = new Uint8Array(64 * 1024);
  #start = 0;
  #end = 0;

  constructor(source: ByteSource) {
    this.#source = source;
  }

  /** The next message, or null when the server closed the connection. */
  async next(): Promise<BackendMessage | null> {
    if (!await this.#fill(5)) return null;
    const view = new DataView(this.#buffer.buffer, this.#start);
    const length = view.getInt32(1);
    // The length counts itself: anything shorter is not PostgreSQL speaking.
    if (length < 4) throw new ClientError("PROTOCOL_ERROR", `a message of length ${length}`);
    if (!await this.#fill(1 + length)) return null;
    const type = String.fromCharCode(this.#buffer[this.#start]);
    const body = this.#buffer.slice(this.#start + 5, this.#start + 1 + length);
    this.#start += 1 + length;
    return { type, body };
  }

  /** One byte, the answer to an SSLRequest ("S" or "N"). */
  async singleByte(): Promise<string | null> {
    if (!await this.#fill(1)) return null;
    return String.fromCharCode(this.#buffer[this.#start++]);
  }

  /** True once `size` unread bytes are buffered; false at end of stream. */
  async #fill(size: number): Promise<boolean> {
    while (this.#end - this.#start < size) {
      if (this.#start + size > this.#buffer.length) this.#compact(size);
      const read = await this.#source.read(this.#buffer.subarray(this.#end));
      if (read === null) return false;
      this.#end += read;
    }
    return true;
  }

  #compact(size: number): void {
    const unread = this.#buffer.subarray(this.#start, this.#end);
    const target = size > this.#buffer.length ? new Uint8Array(size * 2) : this.#buffer;
    target.set(unread, 0);
    this.#buffer = target;
    this.#end -= this.#start;
    this.#start = 0;
  }
}

/** Reads the fields of a backend message body. */
export class BodyReader {
  #body: Uint8Array;
  #view: DataView;
  offset = 0;
  static #decoder = new TextDecoder();

  constructor(body: Uint8Array) {
    this.#body = body;
    this.#view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  }

  byte(): number {
    return this.#body[this.offset++];
  }

  int16(): number {
    const value = this.#view.getInt16(this.offset);
    this.offset += 2;
    return value;
  }

  int32(): number {
    const value = this.#view.getInt32(this.offset);
    this.offset += 4;
    return value;
  }

  cstring(): string {
    const end = this.#body.indexOf(0, this.offset);
    const text = BodyReader.#decoder.decode(this.#body.subarray(this.offset, end));
    this.offset = end + 1;
    return text;
  }

  /** `length` bytes as text. */
  text(length: number): string {
    const text = BodyReader.#decoder.decode(this.#body.subarray(this.offset, this.offset + length));
    this.offset += length;
    return text;
  }

  rest(): Uint8Array {
    return this.#body.subarray(this.offset);
  }
}

/** The fields of an ErrorResponse or NoticeResponse: code letter → value. */
export function readFields(body: Uint8Array): Map<string, string> {
  const reader = new BodyReader(body);
  const fields = new Map<string, string>();
  for (let code = reader.byte(); code !== 0 && code !== undefined; code = reader.byte()) {
    fields.set(String.fromCharCode(code), reader.cstring());
  }
  return fields;
}
