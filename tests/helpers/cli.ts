/** Runs the real CLI as a subprocess, as build agents do, and captures its three outputs. */
import {
  type CommandOutput,
  decodeOutput,
  runCaptured,
} from "../../scripts/lib/captured_command.ts";
import { MAIN } from "../../scripts/lib/repo_paths.ts";

/** main.ts as a file path, for `deno run`. */
export { MAIN };

export type CliResult = CommandOutput;

/** `--log-level DEBUG` in every form argparse accepted (short, attached, `=`, prefixes, any case). */
export const DEBUG_LOG_LEVEL_FORMS: readonly string[][] = [
  ["-lDEBUG"],
  ["-ldebug"],
  ["-l", "DEBUG"],
  ["-l=Debug"],
  ["--log-level", "DEBUG"],
  ["--log-level=debug"],
  ["--log", "debug"],
  ["--log=DEBUG"],
  ["--log-l", "DEBUG"],
];

export interface CliOptions {
  /** Extra environment; DPO_DATABASE_URL, DPO_PIPELINE, PG* are cleared unless given here. */
  env?: Record<string, string>;
  cwd?: string;
  /** The program to run instead of main.ts: dist/bundle's main.js (bundle_test.ts). */
  entry?: string;
}

/** `dpo <args…>` through `deno run`, with stdin closed. */
export async function runDpo(
  args: readonly string[],
  options: CliOptions = {},
): Promise<CliResult> {
  const entry = options.entry ?? MAIN;
  return await runCaptured(Deno.execPath(), ["run", "-A", "--quiet", entry, ...args], {
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

/** dpo started in the background, as runDpo() runs it, so that a test can act meanwhile. */
export interface RunningDpo {
  pid: number;
  kill(signal: Deno.Signal): void;
  /** Settles when dpo has exited. */
  result: Promise<CliResult>;
  exited(): boolean;
}

/** Starts `dpo <args…>` as runDpo() would, without waiting for it. */
export function startDpo(args: readonly string[]): RunningDpo {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", MAIN, ...args],
    env: { DPO_DATABASE_URL: "", DPO_PIPELINE: "", PGPASSWORD: "", PGHOST: "", PGUSER: "" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let exited = false;
  const result = child.output().then((output) => {
    exited = true;
    return decodeOutput(output);
  });
  return { pid: child.pid, kill: (signal) => child.kill(signal), result, exited: () => exited };
}

/** Runs dpo and fails with its stderr unless it exits 0; returns stdout without the newline. */
export async function dpoOk(args: readonly string[], options: CliOptions = {}): Promise<string> {
  const result = await runDpo(args, options);
  if (result.code !== 0) {
    throw new Error(`dpo ${args.join(" ")} exited ${result.code}: ${result.stderr}`);
  }
  return result.stdout.replace(/\n$/, "");
}
