/** A progress line on stderr for long init-steps: only on a terminal, never on stdout. */

const REDRAW_EVERY_MS = 100;
/** Short runs finish before a bar would help; it appears only after this long. */
const SHOW_AFTER_MS = 1_000;

/** Counts hashed files and bytes and redraws one stderr line; silent unless stderr is a TTY. */
export class ProgressLine {
  #totalFiles = 0;
  #files = 0;
  #bytes = 0;
  #startedAt = performance.now();
  #drawnAt = 0;
  #drawn = false;
  #enabled: boolean;
  #encoder = new TextEncoder();

  constructor(enabled = Deno.stderr.isTerminal()) {
    this.#enabled = enabled;
  }

  /** Sets how many files there are in all, once they are known. */
  start(totalFiles: number): void {
    this.#totalFiles = totalFiles;
    this.#startedAt = performance.now();
  }

  /** Adds what was hashed since the last call. */
  advance(done: { files: number; bytes: number }): void {
    this.#files += done.files;
    this.#bytes += done.bytes;
    const now = performance.now();
    if (!this.#enabled || now - this.#startedAt < SHOW_AFTER_MS) return;
    if (now - this.#drawnAt < REDRAW_EVERY_MS && this.#files < this.#totalFiles) return;
    this.#drawnAt = now;
    this.#draw(now);
  }

  /** Clears the line, so that log lines that follow start on a clean line. */
  finish(): void {
    if (this.#drawn) Deno.stderr.writeSync(this.#encoder.encode("\r\x1b[2K"));
  }

  #draw(now: number): void {
    const seconds = (now - this.#startedAt) / 1000;
    const megabytes = this.#bytes / 1e6;
    const share = this.#totalFiles ? this.#files / this.#totalFiles : 0;
    const width = 24, filled = Math.round(share * width);
    const line = `hashing [${"#".repeat(filled)}${"-".repeat(width - filled)}] ` +
      `${this.#files.toLocaleString("en")}/${this.#totalFiles.toLocaleString("en")} files, ` +
      `${megabytes.toFixed(1)} MB, ${(megabytes / seconds).toFixed(1)} MB/s`;
    Deno.stderr.writeSync(this.#encoder.encode(`\r\x1b[2K${line}`));
    this.#drawn = true;
  }
}
