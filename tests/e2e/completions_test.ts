/** Shell completions: bash, zsh and fish scripts that name every command and global option. */
import {
  deepStrictEqual as assertEquals,
  match as assertMatch,
  ok as assert,
} from "node:assert/strict";
import { runDpo } from "../helpers/cli.ts";
import { temporaryFolder } from "../helpers/model_tree.ts";
import { assertCleanFailure } from "../helpers/pipeline.ts";

Deno.test("completions bash, zsh and fish print scripts that name every command", async () => {
  const commands = [
    "init-execution",
    "get-last-successful-execution",
    "get-execution-completion-timestamp",
    "init-step",
    "compare-step-models",
    "complete-step",
    "complete-execution",
    "fail-step",
    "fail-execution",
    "diff",
    "executions",
    "compare-models",
    "db",
    "completions",
  ];
  const [bash, zsh, fish, bashJson, tcsh, missing] = await Promise.all([
    runDpo(["completions", "bash"]),
    runDpo(["completions", "zsh"]),
    runDpo(["completions", "fish"]),
    runDpo(["--format", "json", "completions", "bash"]),
    runDpo(["completions", "tcsh"]),
    runDpo(["completions"]),
  ]);
  for (const [shell, result] of Object.entries({ bash, zsh, fish })) {
    assertEquals([result.code, result.stderr], [0, ""], shell);
    const words = new Set(result.stdout.split(/[\s"()]+/));
    for (const command of commands) assert(words.has(command), `${shell} lacks ${command}`);
    for (const option of ["--pipeline", "--format", "--db", "--log-level"]) {
      // fish names a long option without its dashes: `complete -c dpo -l pipeline`.
      const named = shell === "fish"
        ? result.stdout.includes(`-l ${option.slice(2)}\n`)
        : words.has(option);
      assert(named, `${shell} lacks ${option}`);
    }
  }
  assertMatch(zsh.stdout, /^#compdef dpo\n/);
  assertMatch(fish.stdout, /^complete -c dpo /m);
  assertEquals(bashJson.code, 0);
  assertEquals(JSON.parse(bashJson.stdout), { shell: "bash", script: bash.stdout.slice(0, -1) });
  assertCleanFailure(tcsh, 2, /^error: Shell "tcsh" is not supported: choose bash, zsh or fish$/);
  assertEquals([missing.code, missing.stdout], [2, ""]);

  // bash accepts the script, and completing "fail-" and "--pi" offers the right words, and after
  // a command its own options too.
  await using folder = await temporaryFolder();
  const script = `${folder.path}/dpo.bash`;
  await Deno.writeTextFile(script, bash.stdout);
  const syntax = await new Deno.Command("bash", { args: ["-n", script], stdin: "null" }).output();
  assertEquals([syntax.code, new TextDecoder().decode(syntax.stderr)], [0, ""]);
  const complete = (line: string) =>
    `COMP_WORDS=(${line}); COMP_CWORD=$((\${#COMP_WORDS[@]} - 1)); _dpo; ` +
    'printf "%s\\n" "${COMPREPLY[@]}" | sort | paste -sd " "';
  const offered = await new Deno.Command("bash", {
    args: [
      "-c",
      `source "$1"; ${complete("dpo fail-")}; ${complete("dpo --pi")}; ` +
      `${complete("dpo complete-step s --r")}; ${complete("dpo persist-models --r")}; ` +
      complete("dpo get-last-successful-execution --if"),
      "bash",
      script,
    ],
    stdin: "null",
  }).output();
  assertEquals(
    [offered.code, new TextDecoder().decode(offered.stdout)],
    [0, "fail-execution fail-step\n--pipeline\n--rows-processed\n\n--if-none\n"],
  );
});
