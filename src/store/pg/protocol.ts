/**
 * PostgreSQL's frontend/backend protocol 3.0: the messages dpo sends, and a reader that cuts the
 * server's byte stream into messages. https://www.postgresql.org/docs/current/protocol-message-formats.html
 */

const encoder = new TextEncoder();

/** Builds one message: a type byte (none for startup), a length, then the fields. */
class MessageWriter {
  #bytes = new Uint8Array(256);
  #view = new DataView(this.#bytes.buffer);
  #length = 0;

  #reserve(size: number): void {
    if (this.#length + size <= this.#bytes.length) return;
    const grown = new Uint8Array(Math.max(this.#bytes.length * 2, this.#length + size));
    grown.set(this.#bytes.subarray(0, this.#length));
    this.#bytes = grown;
    this.#view = new DataView(grown.buffer);
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

  /** The message with its length filled in; `typed` when it starts with a type byte. */
  finish(typed: boolean): Uint8Array {
    this.#view.setInt32(typed ? 1 : 0, this.#length - (typed ? 1 : 0));
    return this.#bytes.slice(0, this.#length);
  }
}

function typed(type: string): MessageWriter {
  return new MessageWriter().byte(type.charCodeAt(0)).int32(0);
}

const PROTOCOL_VERSION_3 = 196608;
const SSL_REQUEST_CODE = 80877103;

export function sslRequest(): Uint8Array {
  return new MessageWriter().int32(0).int32(SSL_REQUEST_CODE).finish(false);
}

export function startupMessage(parameters: Record<string, string>): Uint8Array {
  const writer = new MessageWriter().int32(0).int32(PROTOCOL_VERSION_3);
  for (const [name, value] of Object.entries(parameters)) writer.cstring(name).cstring(value);
  return writer.byte(0).finish(false);
}

export function passwordMessage(password: string): Uint8Array {
  return typed("p").cstring(password).finish(true);
}

export function saslInitialResponse(mechanism: string, response: string): Uint8Array {
  const bytes = encoder.encode(response);
  return typed("p").cstring(mechanism).int32(bytes.length).bytes(bytes).finish(true);
}

export function saslResponse(response: string): Uint8Array {
  return typed("p").bytes(encoder.encode(response)).finish(true);
}

/** A simple query: any number of statements, no parameters. */
export function simpleQuery(text: string): Uint8Array {
  return typed("Q").cstring(text).finish(true);
}

/**
 * One statement with text parameters through the unnamed statement and portal (nothing named
 * survives a transaction-pooling PgBouncer): Parse, Bind, Describe, Execute, Sync in one write.
 * Parameter types are left to the server (0 = unknown): `$1::uuid` and `col = $1` need no type from dpo.
 */
export function extendedQuery(text: string, params: readonly (Uint8Array | null)[]): Uint8Array {
  const parse = typed("P").cstring("").cstring(text).int16(0).finish(true);
  const bind = typed("B").cstring("").cstring("").int16(0).int16(params.length);
  for (const param of params) {
    if (param === null) bind.int32(-1);
    else bind.int32(param.length).bytes(param);
  }
  const bound = bind.int16(0).finish(true);
  const describe = typed("D").byte("P".charCodeAt(0)).cstring("").finish(true);
  const execute = typed("E").cstring("").int32(0).finish(true);
  const sync = typed("S").finish(true);
  const all = new Uint8Array(
    parse.length + bound.length + describe.length + execute.length + sync.length,
  );
  let offset = 0;
  for (const part of [parse, bound, describe, execute, sync]) {
    all.set(part, offset);
    offset += part.length;
  }
  return all;
}

export function terminate(): Uint8Array {
  return typed("X").finish(true);
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
