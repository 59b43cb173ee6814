/** `dpo ui` as a subprocess for the tests: started on a free loopback port, its URL read back. */
import type { CommandOutput } from "../../scripts/lib/captured_command.ts";
import { MAIN } from "./cli.ts";

/** A running `dpo ui`: where it answers, and how to stop it. */
export interface RunningUi {
  url: string;
  /** Sends the signal and waits for the process: its exit code and everything it printed. */
  stop(signal?: Deno.Signal): Promise<CommandOutput>;
  /** Sends a signal without waiting for the process to end; false if it had already ended. */
  signal(signal: Deno.Signal): boolean;
  [Symbol.asyncDispose](): Promise<void>;
}

/** Starts `dpo <args…> ui --port 0 <uiArgs…>` and waits for the URL it prints on stdout. */
export async function startUi(
  args: readonly string[],
  options: { env?: Record<string, string>; cwd?: string; uiArgs?: readonly string[] } = {},
): Promise<RunningUi> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", MAIN, ...args, "ui", "--port", "0", ...options.uiArgs ?? []],
    cwd: options.cwd,
    env: { DPO_DATABASE_URL: "", DPO_PIPELINE: "", PGPASSWORD: "", ...options.env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stderrText = new Response(child.stderr).text();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let stdout = "";
  while (!stdout.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) {
      const status = await child.status;
      throw new Error(`dpo ui exited ${status.code} before printing its URL: ${await stderrText}`);
    }
    stdout += value;
  }
  const url = stdout.split("\n")[0];
  let stopped: Promise<CommandOutput> | undefined;
  const stop = (signal: Deno.Signal = "SIGINT") => {
    stopped ??= (async () => {
      sendSignal(child, signal);
      for (let part = await reader.read(); !part.done; part = await reader.read()) {
        stdout += part.value;
      }
      const status = await child.status;
      return { code: status.code, stdout, stderr: await stderrText };
    })();
    return stopped;
  };
  return {
    url,
    stop,
    signal: (signal: Deno.Signal) => sendSignal(child, signal),
    [Symbol.asyncDispose]: async () => {
      await stop("SIGKILL");
    },
  };
}

/**
 * Signals the process unless it has ended already (a first SIGINT may stop `dpo ui` before the
 * next one is sent); returns whether it was still running.
 */
function sendSignal(child: Deno.ChildProcess, signal: Deno.Signal): boolean {
  try {
    child.kill(signal);
    return true;
  } catch (error) {
    if (error instanceof TypeError && /already terminated/.test(error.message)) return false;
    throw error;
  }
}
