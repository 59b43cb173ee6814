/** completions bash|zsh|fish: shell completion scripts, derived from the command table. */
import type { Command } from "../parser.ts";
import { UsageError } from "../../errors.ts";
import type { CliContext } from "../context.ts";

/** A command as the scripts complete it: its names and its own long options. */
interface CompletedCommand {
  names: string[];
  options: string[];
}

/** What every script offers: the commands, the global options and each command's options. */
interface CompletionWords {
  commands: CompletedCommand[];
  globalOptions: string[];
}

export function registerCompletions(program: Command, cli: CliContext): void {
  program.command("completions")
    .description(
      "Print a completion script: bash, zsh or fish (e.g. source <(dpo completions bash))",
    )
    .argument("<shell>", "bash, zsh or fish")
    .action((shell: string) => {
      const script = SCRIPTS[shell.toLowerCase()];
      if (!script) {
        throw new UsageError(`Shell "${shell}" is not supported: choose bash, zsh or fish`);
      }
      const text = script(completionWords(program));
      cli.emit({ shell: shell.toLowerCase(), script: text }, text);
    });
}

function completionWords(program: Command): CompletionWords {
  const longNames = (command: Command) => command.options.flatMap((o) => o.long ?? []);
  return {
    commands: program.commands.map((command) => ({
      names: [command.name(), ...command.aliases()],
      // A subcommand's options (executions show) are offered after its parent's name too.
      options: [...new Set([command, ...command.commands].flatMap(longNames))],
    })),
    globalOptions: [...longNames(program), "--help"],
  };
}

const commandNames = (words: CompletionWords) => words.commands.map((c) => c.names[0]).join(" ");
const withOptions = (words: CompletionWords) => words.commands.filter((c) => c.options.length);

const SCRIPTS: Record<string, (words: CompletionWords) => string> = {
  bash: (words) =>
    `# dpo completion for bash: source <(dpo completions bash)
_dpo() {
  local cur=\${COMP_WORDS[COMP_CWORD]} word command=""
  COMPREPLY=()
  for word in "\${COMP_WORDS[@]:1:COMP_CWORD-1}"; do
    case $word in
      ${words.commands.flatMap((c) => c.names).join("|")}) command=$word; break ;;
    esac
  done
  if [[ $cur == -* ]]; then
    local options="${words.globalOptions.join(" ")}"
    case $command in
${
      withOptions(words).map((c) =>
        `      ${c.names.join("|")}) options+=" ${c.options.join(" ")}" ;;`
      ).join("\n")
    }
    esac
    COMPREPLY=($(compgen -W "$options" -- "$cur"))
  elif [[ -z $command ]]; then
    COMPREPLY=($(compgen -W "${commandNames(words)}" -- "$cur"))
  fi
}
complete -o default -F _dpo dpo`,
  zsh: (words) =>
    `#compdef dpo
# dpo completion for zsh: source <(dpo completions zsh)
_dpo() {
  local word command=""
  for word in \${words[2,CURRENT-1]}; do
    case $word in
      (${words.commands.flatMap((c) => c.names).join("|")}) command=$word; break ;;
    esac
  done
  if [[ $PREFIX == -* ]]; then
    local -a options=(${words.globalOptions.join(" ")})
    case $command in
${
      withOptions(words).map((c) =>
        `      (${c.names.join("|")}) options+=(${c.options.join(" ")}) ;;`
      )
        .join("\n")
    }
    esac
    compadd -- $options
  else
    [[ -z $command ]] && compadd -- ${commandNames(words)}
    _files
  fi
}
compdef _dpo dpo`,
  fish: (words) =>
    [
      "# dpo completion for fish: dpo completions fish | source",
      `complete -c dpo -n "__fish_use_subcommand" -a "${commandNames(words)}"`,
      ...words.globalOptions.map((o) => `complete -c dpo -l ${o.replace(/^--/, "")}`),
      ...withOptions(words).flatMap((c) =>
        c.options.map((o) =>
          `complete -c dpo -n "__fish_seen_subcommand_from ${c.names.join(" ")}" ` +
          `-l ${o.replace(/^--/, "")}`
        )
      ),
    ].join("\n"),
};
