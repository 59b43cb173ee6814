/**
 * HTML written with a tagged template that escapes every interpolated value: a value from the
 * store (a model name is a file name: `<script>.sql`, quotes, newlines) can never become markup.
 * Only an `Html` (the result of another `html` template or of `joinHtml`) is inserted as is.
 */

/** Markup that is already safe to insert. */
export class Html {
  readonly text: string;
  constructor(text: string) {
    this.text = text;
  }
  toString(): string {
    return this.text;
  }
}

const ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

/** Text for an element's content or a quoted attribute: &, <, >, " and ' escaped. */
export function escapeHtml(text: string): string {
  // Lone surrogates (names read from non-UTF-8 bytes) become U+FFFD, as the encoder would.
  return text.toWellFormed().replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

type Value = Html | string | number | bigint | null | undefined | readonly Html[];

function render(value: Value): string {
  if (value === null || value === undefined) return "";
  if (value instanceof Html) return value.text;
  if (Array.isArray(value)) return value.map((item) => render(item)).join("");
  return escapeHtml(String(value));
}

/** The template tag: `html\`<td>${name}</td>\`` escapes `name`. */
export function html(strings: TemplateStringsArray, ...values: Value[]): Html {
  let text = strings[0];
  for (let i = 0; i < values.length; i++) text += render(values[i]) + strings[i + 1];
  return new Html(text);
}
