/** Typed parsers for command arguments; each rejects bad input with one clear UsageError. */
import { UsageError } from "../errors.ts";

const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;
const BIGINT_MAX = 9223372036854775807n;

/** What the Python tool's get-last-successful-execution printed when there was none. */
export const NO_LAST_SUCCESSFUL_EXECUTION = "NO_LAST_SUCCESSFUL_EXECUTION";

/** A UUID in PostgreSQL's canonical form; `what` names it in the error ("Execution id"). */
export function parseUuid(value: string, what: string, hint: string): string {
  const trimmed = value.trim();
  if (!UUID.test(trimmed)) {
    throw new UsageError(`${what} "${value}" is not a valid UUID: ${hint}`);
  }
  const hex = trimmed.replaceAll("-", "").toLowerCase();
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${
    hex.slice(20)
  }`;
}

/** An execution id printed by init-execution. */
export function parseExecutionId(value: string): string {
  return parseUuid(value, "Execution id", "use an id printed by init-execution");
}

/** A step id printed by init-step. */
export function parseStepId(value: string): string {
  return parseUuid(value, "Step id", "use an id printed by init-step");
}

/**
 * An execution id that may be "" or NO_LAST_SUCCESSFUL_EXECUTION, which mean there is none
 * (null): what get-last-successful-execution prints on a first run.
 */
export function parsePreviousExecutionId(
  value: string,
  what = "Previous execution id",
): string | null {
  if (value.trim() === "" || value.trim() === NO_LAST_SUCCESSFUL_EXECUTION) return null;
  return parseUuid(
    value,
    what,
    `use an id printed by get-last-successful-execution, or "" when there is none`,
  );
}

/** A PostgreSQL BIGINT row count, 0 to 9223372036854775807, checked exactly (no float). */
export function parseRowsProcessed(value: string): bigint {
  const trimmed = value.trim();
  if (!/^[+-]?\d+$/.test(trimmed)) {
    throw new UsageError(
      `Rows processed "${value}" is not a whole number: give digits only, such as 1500`,
    );
  }
  const rows = BigInt(trimmed);
  if (rows < 0n) throw new UsageError(`Rows processed "${value}" is negative: give 0 or more`);
  if (rows > BIGINT_MAX) {
    throw new UsageError(
      `Rows processed "${value}" is larger than a PostgreSQL bigint: give at most ${BIGINT_MAX}`,
    );
  }
  return rows;
}

/** A step name: any non-empty text up to the column's 100 characters; stored upper-case. */
export function parseStepName(value: string): string {
  if (value.trim() === "") throw new UsageError("The step name is empty: give one such as LOAD");
  if ([...value].length > 100) {
    throw new UsageError(`Step name "${value}" is longer than 100 characters: shorten it`);
  }
  return value;
}

/** A positive number of seconds. */
export function parseSeconds(value: string, option: string): number {
  const seconds = Number(value);
  if (!Number.isFinite(seconds) || seconds <= 0) {
    throw new UsageError(`${option} "${value}" is not a positive number of seconds`);
  }
  return seconds;
}

// A date, optionally a time (to the microsecond) and an offset.
const ISO_TIME =
  /^(\d{4}-\d\d-\d\d)(?:[T ](\d\d:\d\d(?::\d\d(?:\.\d{1,6})?)?))?(Z|[+-]\d\d(?::?\d\d)?)?$/i;

/** An ISO 8601 time for PostgreSQL; without an offset it is UTC, as dpo prints times. */
export function parseIsoTime(text: string, option: string): string {
  const [, date, time = "00:00", offset = "+00:00"] = text.trim().match(ISO_TIME) ?? [];
  const utc = new Date(date === undefined ? NaN : Date.parse(`${date}T${time}Z`));
  // The round trip catches days a month lacks (2026-02-30), which Date.parse rolls over.
  if (Number.isNaN(utc.getTime()) || utc.toISOString().slice(0, 10) !== date) {
    throw new UsageError(
      `${option} "${text}" is not an ISO 8601 time: give e.g. 2026-11-24 or 2026-11-24T21:00:00Z`,
    );
  }
  return `${date}T${time}${offset}`;
}

/** A whole number from `min` to `max`, for options such as --keep-last and --limit. */
export function parseWholeNumber(text: string, option: string, min: number, max: number): number {
  if (!/^\d+$/.test(text.trim()) || Number(text) < min || Number(text) > max) {
    throw new UsageError(`${option} "${text}" is not a whole number from ${min} to ${max}`);
  }
  return Number(text);
}

const DURATION_UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 };

/** `30d`, `12h`, `90m`, `2w`, `45s` as seconds, or an ISO 8601 time (parseIsoTime). */
export function parseAgeOrTime(
  text: string,
  option: string,
): { seconds: number } | { iso: string } {
  const duration = text.trim().match(/^(\d+)\s*([smhdw])$/i);
  if (duration) return { seconds: Number(duration[1]) * DURATION_UNITS[duration[2].toLowerCase()] };
  if (!/^\d{4}-/.test(text.trim())) {
    throw new UsageError(
      `${option} "${text}" is neither a duration nor an ISO 8601 time: give e.g. 30d, 12h or ` +
        "2026-11-24T21:00:00Z",
    );
  }
  return { iso: parseIsoTime(text, option) };
}
