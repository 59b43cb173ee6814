/**
 * Who answers SIGINT and SIGTERM. main.ts exits at once (130, 143), which is right for a command
 * in the middle of a write: the unfinished transaction is dropped. A long-running command that
 * can stop cleanly (`dpo ui`) takes the interrupt over while it runs; a second one, unless it is
 * the same Ctrl-C delivered twice, exits at once.
 */

let stopper: (() => void) | undefined;

/** While it runs, an interrupt calls `stop` instead of exiting; call the result to give it back. */
export function stopOnInterrupt(stop: () => void): () => void {
  stopper = stop;
  return () => {
    if (stopper === stop) stopper = undefined;
  };
}

/**
 * Lets a SIGINT or SIGTERM that arrived during long synchronous work (hashing on this thread) reach
 * main.ts's listener before anything is written: the embedded store's statements run
 * synchronously, so otherwise the write would commit first. A signal reaches its listener over a
 * few event-loop turns (the I/O poll sees it, then its op completes), so one zero-delay turn is
 * not always enough; a few milliseconds are (measured: 4 of 4 failures under load with one turn).
 */
export function yieldToPendingSignals(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, SIGNAL_TURN_MS));
}

const SIGNAL_TURN_MS = 10;

/**
 * For main.ts: answers an interrupt by stopping the command that took it over, and returns true;
 * false when main.ts should exit. A second interrupt right after the one that stopped it is the
 * same Ctrl-C delivered twice (a terminal signals the whole process group, and `deno task` passes
 * it on to its child too: 2 of 6 stops of `deno task dpo ui` exited 130), so it is ignored; a
 * later one still exits at once.
 */
export function answerInterrupt(): boolean {
  const now = performance.now();
  const stop = stopper;
  stopper = undefined;
  if (stop !== undefined) {
    stoppedAt = now;
    stop();
    return true;
  }
  return stoppedAt !== undefined && now - stoppedAt < SAME_INTERRUPT_MS;
}

let stoppedAt: number | undefined;
const SAME_INTERRUPT_MS = 500;
