/** Retries what fails only because the server is not ready yet, within a bounded time. */
import type { Log } from "../log.ts";

/**
 * Failures worth another try: the server refuses connections (down, restarting), is starting
 * up (57P03), or has no free connection slot (53300). Anything else fails at once.
 */
const TRANSIENT_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "57P03", "53300", "53400"]);

/** The least time one try is given, however little of the budget is left. */
const MIN_TRY_SECONDS = 1;

/** True when the error is one a retry can cure. */
export function isTransient(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  // Not TLS_NOT_OFFERED: a server without TLS stays without TLS however often dpo asks.
  return typeof code === "string" && TRANSIENT_CODES.has(code);
}

/**
 * Runs `attempt` until it succeeds, fails permanently, or `timeoutSeconds` have passed, waiting
 * between tries with exponential backoff (100 ms doubling to 2 s) and full jitter, so that
 * hundreds of agents do not reconnect in lockstep.
 */
export async function retryTransient<T>(
  attempt: (secondsLeft: number) => Promise<T>,
  options: { timeoutSeconds: number; log: Log; what: string },
): Promise<T> {
  const deadline = Date.now() + options.timeoutSeconds * 1000;
  for (let tries = 0;; tries++) {
    try {
      // Each try gets what is left of the budget (at least a second, enough for an answer), so
      // a late try that hangs cannot stretch the whole wait to twice the bound.
      return await attempt(Math.max(MIN_TRY_SECONDS, (deadline - Date.now()) / 1000));
    } catch (error) {
      const left = deadline - Date.now();
      if (!isTransient(error) || left <= 0) throw error;
      // The last wait is cut to the deadline, so the final try comes at the end of the budget.
      const wait = Math.min(left, Math.random() * Math.min(2000, 100 * 2 ** tries));
      if (tries === 0) {
        options.log.warn(
          `${options.what} is not available yet (${(error as Error).message}): retrying for up ` +
            `to ${options.timeoutSeconds} s`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }
}
