/** Many SHA-256 digests side by side in one buffer, as hex text, in file order. */

const HEX_LENGTH = 64;

/**
 * The digests of a list of files, as 64 lower-case hex digits each in one byte buffer: 200,000
 * of them take 12.8 MB outside the JavaScript heap, where as many strings take ~16 MB inside it
 * (and make it grow for the rest of the run). Hex, not the 32 raw bytes: node:crypto's
 * `digest("hex")` costs a third of `digest()`, which wraps each digest in a Buffer (~2 µs per
 * file, measured), and the database wants hex anyway.
 */
export class Sha256Digests {
  readonly hex: Uint8Array<ArrayBuffer>;

  constructor(count: number) {
    this.hex = new Uint8Array(count * HEX_LENGTH);
  }

  /** How many digests there are. */
  get count(): number {
    return this.hex.length / HEX_LENGTH;
  }

  /** Stores the digest at position `index`, given as 64 lower-case hex digits. */
  setHex(index: number, hex: string): void {
    if (hex.length !== HEX_LENGTH || index < 0 || index >= this.count) {
      throw new RangeError(`"${hex}" at ${index} is not a SHA-256 hex digest of this list`);
    }
    const at = index * HEX_LENGTH;
    for (let i = 0; i < HEX_LENGTH; i++) this.hex[at + i] = hex.charCodeAt(i);
  }

  /** Copies consecutive digests (another list's `hex`) in, the first at position `index`. */
  setAll(index: number, hex: Uint8Array): void {
    if (hex.length % HEX_LENGTH !== 0) {
      throw new RangeError(`${hex.length} bytes are not a whole number of SHA-256 hex digests`);
    }
    this.hex.set(hex, index * HEX_LENGTH);
  }

  /**
   * Every digest joined by `separator` (at most one ASCII character). Written as bytes and
   * decoded once, so no string per digest is made.
   */
  joinHex(separator: string): string {
    const separatorCode = separator.charCodeAt(0);
    if (separator.length > 1 || separatorCode > 0x7f) {
      throw new RangeError(`Separator "${separator}" is not one ASCII character`);
    }
    if (separator === "") return new TextDecoder().decode(this.hex);
    const stride = HEX_LENGTH + 1;
    const text = new Uint8Array(Math.max(0, this.count * stride - 1)).fill(separatorCode);
    for (let digest = 0; digest < this.count; digest++) {
      text.set(
        this.hex.subarray(digest * HEX_LENGTH, (digest + 1) * HEX_LENGTH),
        digest * stride,
      );
    }
    return new TextDecoder().decode(text);
  }
}
