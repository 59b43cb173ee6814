/** Runs a program with stdin closed and returns its exit code and both outputs as text. */

/** What a command printed and how it exited. */
export interface CommandOutput {
  code: number;
  stdout: string;
  stderr: string;
}

/** Decodes a finished command's outputs. */
export function decodeOutput(output: Deno.CommandOutput): CommandOutput {
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

/** Runs `program args…` to completion, stdin closed, stdout and stderr captured separately. */
export async function runCaptured(
  program: string,
  args: readonly string[],
  options: { cwd?: string; env?: Record<string, string> } = {},
): Promise<CommandOutput> {
  const output = await new Deno.Command(program, {
    args: [...args],
    cwd: options.cwd,
    env: options.env,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  return decodeOutput(output);
}
