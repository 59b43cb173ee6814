/** Many SHA-256 digests side by side in one buffer, in file order. */

const DIGEST_BYTES = 32;
const HEX_DIGITS = new TextEncoder().encode("0123456789abcdef");

/**
 * The digests of a list of files, 32 bytes each in one buffer: 200,000 of them take 6.4 MB
 * outside the JavaScript heap, where as many hex strings take ~16 MB inside it (and make it grow
 * for the rest of the run).
 */
export class Sha256Digests {
  readonly bytes: Uint8Array<ArrayBuffer>;

  constructor(count: number) {
    this.bytes = new Uint8Array(count * DIGEST_BYTES);
  }

  /** How many digests there are. */
  get count(): number {
    return this.bytes.length / DIGEST_BYTES;
  }

  /** Copies consecutive digests (32 bytes each) in, the first at position `index`. */
  set(index: number, digests: Uint8Array): void {
    if (digests.length % DIGEST_BYTES !== 0) {
      throw new RangeError(`${digests.length} bytes are not a whole number of SHA-256 digests`);
    }
    this.bytes.set(digests, index * DIGEST_BYTES);
  }

  /**
   * Every digest as lower-case hex, joined by `separator` (at most one ASCII character).
   * Written as bytes and decoded once, so no string per digest is made.
   */
  joinHex(separator: string): string {
    const separatorCode = separator.charCodeAt(0);
    if (separator.length > 1 || separatorCode > 0x7f) {
      throw new RangeError(`Separator "${separator}" is not one ASCII character`);
    }
    const stride = 2 * DIGEST_BYTES + separator.length;
    const text = new Uint8Array(Math.max(0, this.count * stride - separator.length));
    let at = 0;
    for (let digest = 0; digest < this.count; digest++) {
      if (digest > 0 && separator) text[at++] = separatorCode;
      for (let i = digest * DIGEST_BYTES; i < (digest + 1) * DIGEST_BYTES; i++) {
        text[at++] = HEX_DIGITS[this.bytes[i] >> 4];
        text[at++] = HEX_DIGITS[this.bytes[i] & 0xf];
      }
    }
    return new TextDecoder().decode(text);
  }
}
