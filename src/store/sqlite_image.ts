/**
 * A new embedded store as the bytes of its file: what migrations/sqlite/ make of an empty file,
 * kept in src/store/sqlite_head_image.ts (`deno task sqlite-image` writes it; a unit test fails
 * when it no longer matches the migrations). Writing these bytes makes a new store in one write,
 * where running the migrations costs the first command ~4 ms more (measured: 1.77x -> 1.63x an
 * empty `deno run`).
 *
 * A new store is mostly zeros (12 pages of 16 KiB hold ~4.6 KB), so the image keeps only its runs
 * of other bytes. Its version table's applied_on times are a placeholder of the same length as a
 * real time, written over when the store is created: a record keeps its length, so its page
 * stays valid (SQLite's file format keeps no checksum of a page).
 */

export interface SqliteImage {
  /** The file's length in bytes. */
  size: number;
  /** Each run of bytes that are not all zero: its offset and its bytes in base64. */
  runs: readonly (readonly [number, string])[];
  /** Where each applied_on placeholder starts, one per migration. */
  appliedOnOffsets: readonly number[];
}

/** What the image holds for applied_on; a time as utcMicroseconds() writes it, just as long. */
export const APPLIED_ON_PLACEHOLDER = "2000-01-01T00:00:00.000000+00:00";

/** The file's bytes, with `appliedOn` (a time as the store writes it) in the version table. */
export function imageBytes(image: SqliteImage, appliedOn: string): Uint8Array {
  if (appliedOn.length !== APPLIED_ON_PLACEHOLDER.length) {
    throw new RangeError(`"${appliedOn}" is not as long as "${APPLIED_ON_PLACEHOLDER}"`);
  }
  const bytes = new Uint8Array(image.size);
  for (const [offset, base64] of image.runs) bytes.set(Uint8Array.fromBase64(base64), offset);
  const time = new TextEncoder().encode(appliedOn);
  for (const offset of image.appliedOnOffsets) bytes.set(time, offset);
  return bytes;
}

/**
 * The image of a store file whose version table holds APPLIED_ON_PLACEHOLDER once per migration
 * (`migrations`); zeros shorter than `minimumGap` stay inside a run, where a new run would cost
 * more text than they do.
 */
export function encodeImage(bytes: Uint8Array, migrations: number, minimumGap = 32): SqliteImage {
  const appliedOnOffsets = offsetsOf(bytes, new TextEncoder().encode(APPLIED_ON_PLACEHOLDER));
  if (appliedOnOffsets.length !== migrations) {
    throw new RangeError(
      `The store holds the applied_on placeholder ${appliedOnOffsets.length} times, not once ` +
        `for each of its ${migrations} migrations`,
    );
  }
  const runs: [number, string][] = [];
  let start = bytes.findIndex((byte) => byte !== 0);
  while (start !== -1) {
    let end = start;
    let zeros = 0;
    for (let i = start; i < bytes.length && zeros < minimumGap; i++) {
      if (bytes[i] === 0) {
        zeros++;
      } else {
        zeros = 0;
        end = i + 1;
      }
    }
    runs.push([start, bytes.subarray(start, end).toBase64()]);
    const next = bytes.subarray(end).findIndex((byte) => byte !== 0);
    start = next === -1 ? -1 : end + next;
  }
  return { size: bytes.length, runs, appliedOnOffsets };
}

function offsetsOf(bytes: Uint8Array, pattern: Uint8Array): number[] {
  const offsets: number[] = [];
  for (let i = bytes.indexOf(pattern[0]); i !== -1; i = bytes.indexOf(pattern[0], i + 1)) {
    if (pattern.every((byte, k) => bytes[i + k] === byte)) offsets.push(i);
  }
  return offsets;
}
