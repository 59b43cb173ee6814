/**
 * dpo's `--format json` and one-line outputs as the e2e tests read them: JSON parsed with integers
 * beyond 2^53 kept exact, times and durations checked and masked, reads that must log nothing.
 */
import {
  deepStrictEqual as assertEquals,
  match as assertMatch,
  ok as assert,
} from "node:assert/strict";
import { type CliOptions, type CliResult, runDpo } from "./cli.ts";
import { ISO_TIMESTAMP, maskLog, type StoreUnderTest } from "./pipeline.ts";

/** The largest PostgreSQL bigint: a row count that a float would round. */
export const MAX_ROWS = "9223372036854775807";
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

// deno-lint-ignore no-explicit-any
export type Json = any;

/**
 * JSON.parse that keeps integers beyond 2^53 exact as BigInt: the reviver sees each number's
 * source text (ES2025), so 9223372036854775807 is compared as written, not as a float.
 */
export function parseExactJson(text: string): Json {
  const reviver = (_key: string, value: unknown, context?: { source?: string }) =>
    typeof value === "number" && !Number.isSafeInteger(value) &&
      /^-?\d+$/.test(context?.source ?? "")
      ? BigInt(context!.source!)
      : value;
  return JSON.parse(text, reviver as (key: string, value: unknown) => unknown);
}

/**
 * A document with what changes from run to run checked and masked: times (keys ending in `_on`,
 * and `timestamp`) must be dpo's ISO 8601 and become "<time>"; `execution_time_ms` must be whole
 * milliseconds and becomes "<ms>". Nulls stay null.
 */
export function masked(value: Json, key = ""): Json {
  if (Array.isArray(value)) return value.map((item) => masked(item));
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, masked(v, k)]));
  }
  if (value === null) return null;
  if (key.endsWith("_on") || key === "timestamp") {
    assertMatch(value, ISO_TIMESTAMP);
    return "<time>";
  }
  if (key === "execution_time_ms") {
    assert(Number.isSafeInteger(value) && value >= 0, `execution_time_ms ${value}`);
    return "<ms>";
  }
  return value;
}

/** The result of a `--format json` call: exactly one JSON document, on one line. */
export interface JsonResult {
  doc: Json;
  stdout: string;
  stderr: string;
}

/** dpo on one store: its text, its JSON, and JSON reads that must log nothing. */
export interface DpoOnStore {
  run(args: string[], options?: CliOptions): Promise<CliResult>;
  /** `--format json`: exit 0 and one document on one line. */
  json(args: string[], options?: CliOptions): Promise<JsonResult>;
  /** `--format json` of a command that only reads: stderr stays empty. */
  read(args: string[], options?: CliOptions): Promise<Json>;
  /** The one line a text command prints, which must log nothing. */
  line(args: string[], options?: CliOptions): Promise<string>;
}

/** dpo with the store's arguments placed before every command. */
export function dpoOn(store: StoreUnderTest): DpoOnStore {
  const run = (args: string[], options?: CliOptions) => runDpo([...store.args, ...args], options);
  const json = async (args: string[], options?: CliOptions): Promise<JsonResult> => {
    const result = await run(["--format", "json", ...args], options);
    assertEquals(result.code, 0, `dpo ${args.join(" ")}: ${result.stderr}`);
    assert(
      result.stdout.endsWith("\n") && result.stdout.indexOf("\n") === result.stdout.length - 1,
      `not one line on stdout: ${result.stdout}`,
    );
    return { doc: parseExactJson(result.stdout), stdout: result.stdout, stderr: result.stderr };
  };
  return {
    run,
    json,
    read: async (args, options) => {
      const result = await json(args, options);
      assertEquals(result.stderr, "");
      return result.doc;
    },
    line: async (args, options) => {
      const result = await run(args, options);
      assertEquals([result.code, result.stderr], [0, ""], `dpo ${args.join(" ")}`);
      assertMatch(result.stdout, /^[^\n]*\n$/);
      return result.stdout.slice(0, -1);
    },
  };
}

/** A command that printed nothing, logged `log` (masked) and exited 0. */
export function assertQuiet(result: CliResult, log: string | RegExp): void {
  assertEquals([result.code, result.stdout], [0, ""], result.stderr);
  if (typeof log === "string") assertEquals(maskLog(result.stderr), log);
  else assertMatch(maskLog(result.stderr), log);
}

/** The execution ids of an `executions --format json` document, in its order. */
export const ids = (executions: Json[]): string[] => executions.map((e: Json) => e.execution_id);
