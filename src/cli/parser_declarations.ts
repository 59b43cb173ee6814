/** The options and arguments a command declares, read from commander-style specs. */

/** An option's value: the text given, or true for a flag. */
export type OptionValue = string | boolean;

/**
 * An option as declared: `-l, --log-level <level>` takes a value, `--name-status` is a flag,
 * `-r, --rows-processed [n]` may be given with or without a value (argparse's `nargs='?'`), and
 * `-id, --execution-id [uuid]` also has argparse's single-dash long name.
 */
export class Option {
  readonly flags: string;
  readonly description: string;
  readonly short?: string;
  readonly long?: string;
  /** A name of more than one letter after one dash, as argparse allowed: `-id`. */
  readonly singleDashLong?: string;
  readonly takesValue: boolean;
  /** Given without a value, the option takes its default (unset when it has none). */
  readonly valueOptional: boolean;
  readonly defaultValue?: string;

  constructor(flags: string, description: string, defaultValue?: string) {
    if (flags.includes("...")) {
      throw new TypeError(`Option "${flags}" has a variadic value: not supported`);
    }
    this.flags = flags;
    this.description = description;
    this.valueOptional = flags.includes("[");
    this.takesValue = flags.includes("<") || this.valueOptional;
    if (defaultValue !== undefined && !this.takesValue) {
      throw new TypeError(`Option "${flags}" is a flag: it cannot have a default`);
    }
    this.defaultValue = defaultValue;
    const parts = flags.split(/[ |,]+/);
    this.short = parts.find((part) => /^-[^-]$/.test(part));
    this.long = parts.find((part) => /^--[^-]/.test(part));
    this.singleDashLong = parts.find((part) => /^-[^-<[]{2,}$/.test(part));
    if (!this.short && !this.long && !this.singleDashLong) {
      throw new TypeError(`Option "${flags}" names no flag`);
    }
  }

  /** The key of its value in opts(): `--rows-processed` gives `rowsProcessed`. */
  get attributeName(): string {
    const name = this.long?.slice(2) ?? this.singleDashLong?.slice(1) ?? this.short!.slice(1);
    return name.replace(/-(.)/g, (_, letter: string) => letter.toUpperCase());
  }

  /** The name it is written with once recognised: the long one, else the other. */
  get canonicalName(): string {
    return this.long ?? this.singleDashLong ?? this.short!;
  }

  /** True when `flag` is this option's short, long or single-dash long form. */
  is(flag: string): boolean {
    return flag === this.short || flag === this.long || flag === this.singleDashLong;
  }
}

/** A command argument: `<required>`, `[optional]`, and last, `<variadic...>`. */
export class Argument {
  readonly name: string;
  readonly description: string;
  readonly required: boolean;
  readonly variadic: boolean;
  readonly defaultValue?: string;

  constructor(spec: string, description: string, defaultValue?: string) {
    const match = spec.match(/^([<[])([^>\]]+?)(\.\.\.)?[>\]]$/);
    if (!match) throw new TypeError(`Argument "${spec}" is not <name>, [name] or <name...>`);
    this.required = match[1] === "<";
    this.name = match[2];
    this.variadic = match[3] !== undefined;
    this.description = description;
    this.defaultValue = defaultValue;
  }

  /** How the usage line shows it: `<model-patterns...>`. */
  get usage(): string {
    const name = this.name + (this.variadic ? "..." : "");
    return this.required ? `<${name}>` : `[${name}]`;
  }
}
