/** Runs the real CLI as a subprocess, as build agents do, and captures its three outputs. */
import { type CommandOutput, runCaptured } from "../../scripts/lib/captured_command.ts";

const MAIN = new URL("../../main.ts", import.meta.url).pathname;

export type CliResult = CommandOutput;

export interface CliOptions {
  /** Extra environment; DPO_DATABASE_URL, DPO_PIPELINE, PG* are cleared unless given here. */
  env?: Record<string, string>;
  cwd?: string;
}

/** `dpo <args…>` through `deno run`, with stdin closed. */
export async function runDpo(
  args: readonly string[],
  options: CliOptions = {},
): Promise<CliResult> {
  return await runCaptured(Deno.execPath(), ["run", "-A", "--quiet", MAIN, ...args], {
    cwd: options.cwd,
    env: {
      DPO_DATABASE_URL: "",
      DPO_PIPELINE: "",
      PGPASSWORD: "",
      PGHOST: "",
      PGUSER: "",
      ...options.env,
    },
  });
}

/** Runs dpo and fails with its stderr unless it exits 0; returns stdout without the newline. */
export async function dpoOk(args: readonly string[], options: CliOptions = {}): Promise<string> {
  const result = await runDpo(args, options);
  if (result.code !== 0) {
    throw new Error(`dpo ${args.join(" ")} exited ${result.code}: ${result.stderr}`);
  }
  return result.stdout.replace(/\n$/, "");
}
