/** completions bash|zsh|fish: shell completion scripts, derived from the command table. */
import type { Command } from "../parser.ts";
import { UsageError } from "../../errors.ts";
import type { CliContext } from "../context.ts";

export function registerCompletions(program: Command, cli: CliContext): void {
  program.command("completions")
    .description(
      "Print a completion script: bash, zsh or fish (e.g. source <(dpo completions bash))",
    )
    .argument("<shell>", "bash, zsh or fish")
    .action((shell: string) => {
      const commands = program.commands.map((c) => c.name()).filter((n) => n !== "help");
      const options = program.options.map((o) => o.long!).filter(Boolean);
      const script = SCRIPTS[shell.toLowerCase()];
      if (!script) {
        throw new UsageError(`Shell "${shell}" is not supported: choose bash, zsh or fish`);
      }
      const text = script(commands, options);
      cli.emit({ shell: shell.toLowerCase(), script: text }, text);
    });
}

const SCRIPTS: Record<string, (commands: string[], options: string[]) => string> = {
  bash: (commands, options) =>
    `# dpo completion for bash: source <(dpo completions bash)
_dpo() {
  local cur=\${COMP_WORDS[COMP_CWORD]}
  if [[ $cur == -* ]]; then
    COMPREPLY=($(compgen -W "${options.join(" ")} --help" -- "$cur"))
  else
    COMPREPLY=($(compgen -W "${commands.join(" ")}" -- "$cur"))
  fi
}
complete -o default -F _dpo dpo`,
  zsh: (commands, options) =>
    `#compdef dpo
# dpo completion for zsh: source <(dpo completions zsh)
_dpo() {
  if [[ $PREFIX == -* ]]; then
    compadd -- ${options.join(" ")} --help
  else
    compadd -- ${commands.join(" ")}
    _files
  fi
}
compdef _dpo dpo`,
  fish: (commands, options) =>
    [
      "# dpo completion for fish: dpo completions fish | source",
      `complete -c dpo -n "__fish_use_subcommand" -a "${commands.join(" ")}"`,
      ...options.map((o) => `complete -c dpo -l ${o.replace(/^--/, "")}`),
    ].join("\n"),
};
