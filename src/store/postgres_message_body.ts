/** Reads the fields of one PostgreSQL protocol message, checking each read against its length. */
import type { WireError } from "./postgres_wire_error.ts";

/** Reads a message body; every read past its end is the message's fault. */
export class Body {
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
