/**
 * Password redaction by structure: a password is removed where it stands as a password (a URL's
 * user-info, a `password=` keyword) or where a message echoes a value (a whole quoted value),
 * never as a substring. Blanking every equal word hid the database "dpo" of a user "dpo" with the
 * password "dpo", blanked the folder "dpo" in stacks, and with the password "p" turned "port"
 * into "***ort": which also told the reader what the password was.
 */

/** The passwords of one invocation, and the words that are shown anyway (user, database, hosts). */
export interface Secrets {
  passwords: readonly string[];
  /** A password equal to one of these is not hidden where that word is meant: it is public. */
  shown?: readonly string[];
}

export const MASK = "***";

/** The parts of a URL's authority: `user:password@hosts`, found structurally. */
export interface UrlAuthority {
  /** Index of the first character after "://". */
  start: number;
  /** Index after the authority (at "/", "?", "#" or the end). */
  end: number;
  /** Index of the ":" between user and password, or -1. */
  colon: number;
  /** Index of the authority's last "@", or -1. */
  at: number;
}

const SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i;

/**
 * Splits a URL's authority, up to its last "@": dpo and postgres.js accept a raw "@" in a
 * password. Undefined when the text does not start with a scheme.
 */
export function urlAuthority(url: string): UrlAuthority | undefined {
  const scheme = url.match(SCHEME);
  if (!scheme) return undefined;
  const start = scheme[0].length;
  const rest = url.slice(start);
  const length = rest.search(/[/?#]/);
  const end = length === -1 ? url.length : start + length;
  const at = url.lastIndexOf("@", end - 1);
  if (at < start) return { start, end, colon: -1, at: -1 };
  const colon = url.indexOf(":", start);
  return { start, end, colon: colon !== -1 && colon < at ? colon : -1, at };
}

/** The URL with its password (user-info and `password=` parameters) replaced by "***". */
export function redactUrl(url: string): string {
  const authority = urlAuthority(url);
  let redacted = url;
  if (authority && authority.colon !== -1) {
    redacted = url.slice(0, authority.colon + 1) + MASK + url.slice(authority.at);
  }
  return redactPasswordParameters(redacted);
}

/** The password of a URL, as written (percent-encoded) and decoded; [] when it has none. */
export function urlPasswords(url: string): string[] {
  const authority = urlAuthority(url);
  const found: string[] = [];
  if (authority && authority.colon !== -1) {
    found.push(url.slice(authority.colon + 1, authority.at));
  }
  for (const match of url.matchAll(PASSWORD_PARAMETER)) found.push(match[2]);
  return found.flatMap((written) => [written, decodedOrAsIs(written)]).filter((p) => p !== "");
}

/** The user, hosts and database a URL names: shown in messages, so never taken for a password. */
export function urlShownWords(url: string): string[] {
  const authority = urlAuthority(url);
  if (!authority) return [];
  const userInfo = authority.at === -1 ? "" : url.slice(authority.start, authority.at);
  const user = authority.colon === -1 ? userInfo : url.slice(authority.start, authority.colon);
  const hosts = url.slice(authority.at === -1 ? authority.start : authority.at + 1, authority.end);
  const database = url.slice(authority.end).match(/^\/([^?#]*)/)?.[1] ?? "";
  return [user, database, ...hosts.split(",").map((host) => host.replace(/:\d*$/, ""))]
    .flatMap((word) => [word, decodedOrAsIs(word)]).filter((word) => word !== "");
}

/**
 * `text` from the first URL scheme in it to its end (`--db=postgresql://…` gives the URL), or all
 * of it when it has none (a `password=` keyword may stand anywhere). Read to the end rather than to
 * a blank or a quote: a password given on a command line may hold either.
 */
export function fromFirstUrl(text: string): string {
  return text.slice(Math.max(0, text.search(/[a-z][a-z0-9+.-]*:\/\//i)));
}

/**
 * Hides the passwords in a message: in every URL it contains (by structure), in `password=`
 * keywords, and where the message quotes a value that is exactly a password ("…" or '…'), unless
 * that value is also a word shown anyway (the user or database).
 */
export function redactText(text: string, secrets: Secrets): string {
  const shown = new Set(secrets.shown ?? []);
  const hidden = new Set(secrets.passwords.filter((p) => p !== "" && !shown.has(p)));
  const redacted = text.replace(URL_IN_TEXT, (url) => redactUrl(url));
  const withoutKeywords = redactPasswordParameters(redacted);
  if (hidden.size === 0) return withoutKeywords;
  return withoutKeywords.replace(
    QUOTED_VALUE,
    (whole, quote: string, value: string) => hidden.has(value) ? `${quote}${MASK}${quote}` : whole,
  );
}

/** `password=…` as a URL parameter or libpq keyword, up to "&", "#", a space or a quote. */
const PASSWORD_PARAMETER = /(^|[?&\s])password=([^&#\s"']*)/gi;

function redactPasswordParameters(text: string): string {
  return text.replace(
    PASSWORD_PARAMETER,
    (whole, before: string, value: string) =>
      value === "" || value === MASK ? whole : `${before}password=${MASK}`,
  );
}

/** A URL inside free text: up to white space or a quote. */
const URL_IN_TEXT = /[a-z][a-z0-9+.-]*:\/\/[^\s"'`]*/gi;

/** A whole quoted value: "…" or '…' with no quote or line break inside. */
const QUOTED_VALUE = /(["'])([^"'\n]*)\1/g;

function decodedOrAsIs(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
