/**
 * Who answers SIGINT and SIGTERM. main.ts exits at once (130, 143), which is right for a command
 * in the middle of a write: the unfinished transaction is dropped. A long-running command that
 * can stop cleanly (`dpo ui`) takes the interrupt over while it runs; a second one exits at once.
 */

let stopper: (() => void) | undefined;

/** While it runs, an interrupt calls `stop` instead of exiting; call the result to give it back. */
export function stopOnInterrupt(stop: () => void): () => void {
  stopper = stop;
  return () => {
    if (stopper === stop) stopper = undefined;
  };
}

/** For main.ts: the stop to call for this interrupt (once), or undefined to exit. */
export function takeInterruptStopper(): (() => void) | undefined {
  const stop = stopper;
  stopper = undefined;
  return stop;
}
