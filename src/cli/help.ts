/**
 * What the parser tells a user: `--help` in commander's columns and wrapping, so dpo's help reads
 * as it always has, and "Did you mean …?" for a mistyped command or option, worded as commander
 * worded it.
 */

/** What the help of one command shows; the parser builds it from the command's declarations. */
export interface HelpSubject {
  /** `dpo db upgrade [options] [revision]`: the command path and what may follow it. */
  usage: string;
  description: string;
  arguments: readonly { name: string; description: string; defaultValue?: unknown }[];
  /** The options in declaration order, the help option last. */
  options: readonly { flags: string; description: string; defaultValue?: unknown }[];
  /** The subcommands by name (their arguments would make the column too wide to read). */
  commands: readonly { name: string; description: string }[];
}

// Narrower than this, wrapping would leave a column too thin to read: commander then does not wrap.
const MIN_WIDTH_TO_WRAP = 40;
const ITEM_INDENT = "  ";
const SPACER_WIDTH = 2;

/** The usage after a command's path when it sets none: `[options] [command] <arguments>`. */
export function defaultUsage(
  hasSubcommands: boolean,
  declared: readonly { usage: string }[],
): string {
  return [
    "[options]",
    ...hasSubcommands ? ["[command]"] : [],
    ...declared.map((argument) => argument.usage),
  ].join(" ");
}

/** The help text, wrapped to `width` columns and ending with a newline. */
export function formatHelp(subject: HelpSubject, width: number): string {
  const termWidth = Math.max(
    0,
    ...subject.options.map((o) => o.flags.length),
    ...subject.commands.map((c) => c.name.length),
    ...(subject.arguments.some((a) => a.description) ? subject.arguments : [])
      .map((a) => a.name.length),
  );
  const item = (term: string, description: string) =>
    formatItem(term, description, { termWidth, width });
  let lines = [`Usage: ${subject.usage}`, ""];
  if (subject.description) lines.push(wrapText(subject.description, width), "");
  // Arguments are listed only when one of them is described, as commander does.
  if (subject.arguments.some((a) => a.description)) {
    lines = lines.concat(section(
      "Arguments:",
      subject.arguments.map((a) => item(a.name, withDefault(a.description, a.defaultValue))),
    ));
  }
  lines = lines.concat(section(
    "Options:",
    subject.options.map((o) => item(o.flags, withDefault(o.description, o.defaultValue))),
  ));
  lines = lines.concat(
    section("Commands:", subject.commands.map((c) => item(c.name, c.description))),
  );
  return lines.join("\n");
}

/** Where the help goes: the number of columns to wrap it to. */
export type HelpWidth = (stream: "stdout" | "stderr") => number;

/** The columns of the terminal the help goes to, or 80 when it goes to a file or a pipe. */
export function helpWidthOf(stream: "stdout" | "stderr"): number {
  const isTerminal = stream === "stdout" ? Deno.stdout.isTerminal() : Deno.stderr.isTerminal();
  if (!isTerminal) return 80;
  try {
    return Deno.consoleSize().columns || 80;
  } catch {
    return 80;
  }
}

function section(heading: string, items: string[]): string[] {
  return items.length === 0 ? [] : [heading, ...items, ""];
}

function withDefault(description: string, defaultValue: unknown): string {
  if (defaultValue === undefined) return description;
  const extra = `(default: ${JSON.stringify(defaultValue)})`;
  return description ? `${description} ${extra}` : extra;
}

/** `  term    description`, the description wrapped and its later lines indented under it. */
function formatItem(
  term: string,
  description: string,
  { termWidth, width }: { termWidth: number; width: number },
): string {
  if (!description) return ITEM_INDENT + term;
  const remainingWidth = width - termWidth - SPACER_WIDTH - ITEM_INDENT.length;
  // Text with a line break followed by blanks was laid out by hand: keep it as written.
  const preformatted = /\n[^\S\r\n]/.test(description);
  const formatted = remainingWidth < MIN_WIDTH_TO_WRAP || preformatted
    ? description
    : wrapText(description, remainingWidth).replace(
      /\n/g,
      "\n" + " ".repeat(termWidth + SPACER_WIDTH),
    );
  return ITEM_INDENT + term.padEnd(termWidth) + " ".repeat(SPACER_WIDTH) +
    formatted.replace(/\n/g, `\n${ITEM_INDENT}`);
}

/** Wraps at blanks to `width` columns, keeping the line breaks already in the text. */
export function wrapText(text: string, width: number): string {
  if (width < MIN_WIDTH_TO_WRAP) return text;
  const wrapped: string[] = [];
  for (const line of text.split(/\r\n|\n/)) {
    // Each chunk is a word with the blanks before it, so a kept chunk keeps its spacing.
    const chunks = line.match(/\s*\S+/g);
    if (chunks === null) {
      wrapped.push("");
      continue;
    }
    let current = chunks[0];
    for (const chunk of chunks.slice(1)) {
      if (current.length + chunk.length <= width) {
        current += chunk;
      } else {
        wrapped.push(current);
        current = chunk.trimStart();
      }
    }
    wrapped.push(current);
  }
  return wrapped.join("\n");
}

// More edits than this and the guess is more likely wrong than helpful.
const MAX_DISTANCE = 3;
const MIN_SIMILARITY = 0.4;

/**
 * The closest candidates to `word` as a line to append to an error (`\n(Did you mean x?)`), or
 * "" when none is close. Options (`--x`) are compared without their dashes.
 */
export function suggestSimilar(word: string, candidates: readonly string[]): string {
  const searchingOptions = word.startsWith("--");
  const strip = (text: string) => searchingOptions ? text.slice(2) : text;
  const typed = strip(word);
  let similar: string[] = [];
  let bestDistance = MAX_DISTANCE;
  for (const candidate of new Set(candidates.map(strip))) {
    if (candidate.length <= 1) continue; // one character is no basis for a guess
    const distance = editDistance(typed, candidate);
    const length = Math.max(typed.length, candidate.length);
    if ((length - distance) / length <= MIN_SIMILARITY) continue;
    if (distance < bestDistance) {
      bestDistance = distance;
      similar = [candidate];
    } else if (distance === bestDistance) {
      similar.push(candidate);
    }
  }
  similar.sort((a, b) => a.localeCompare(b));
  if (searchingOptions) similar = similar.map((candidate) => `--${candidate}`);
  if (similar.length > 1) return `\n(Did you mean one of ${similar.join(", ")}?)`;
  if (similar.length === 1) return `\n(Did you mean ${similar[0]}?)`;
  return "";
}

/** Optimal string alignment distance: insertions, deletions, substitutions and transpositions. */
export function editDistance(a: string, b: string): number {
  // Too far apart to matter: the worst case is enough, and cheaper.
  if (Math.abs(a.length - b.length) > MAX_DISTANCE) return Math.max(a.length, b.length);
  const d: number[][] = [];
  for (let i = 0; i <= a.length; i++) d[i] = [i];
  for (let j = 0; j <= b.length; j++) d[0][j] = j;
  for (let j = 1; j <= b.length; j++) {
    for (let i = 1; i <= a.length; i++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.length][b.length];
}
