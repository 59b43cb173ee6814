/**
 * The history the `dpo ui` e2e tests serve: a pipeline and models with hostile names, two
 * completed executions and a failed one (whose step renames a model), recorded through the CLI;
 * and the checks every page gets.
 */
import {
  deepStrictEqual as assertEquals,
  match as assertMatch,
  ok as assert,
} from "node:assert/strict";
import { runDpo } from "./cli.ts";
import { writeModels } from "./model_tree.ts";
import type { StoreUnderTest } from "./pipeline.ts";

/** A pipeline name and model names that are markup, quotes, line breaks, tabs and non-ASCII. */
export const HOSTILE_PIPELINE = `<img src=x onerror=alert(1)> & "night'ly"`;
export const HOSTILE_MODELS = [
  `<script>alert(1)<\\script>`,
  `dq"uote`,
  "new\nline",
  "q'uote",
  "&amp;",
  "tab\there é😀",
];

/** The ids of the recorded executions, oldest first. */
export interface RecordedHistory {
  first: string;
  second: string;
  failed: string;
}

/**
 * Two completed executions and a failed one of the hostile pipeline: the second modifies the
 * <script> model and adds "added"; the failed one renames "q'uote" to "renamed".
 */
export async function recordHistory(
  store: StoreUnderTest,
  modelsDir: string,
): Promise<RecordedHistory> {
  const ok = async (args: string[]) => {
    const result = await runDpo([...store.args, "--pipeline", HOSTILE_PIPELINE, ...args]);
    assertEquals(result.code, 0, `dpo ${args.join(" ")}: ${result.stderr}`);
    return result.stdout.trim();
  };
  // Each content is unique (its name's length), so the rename pairs unambiguously.
  await writeModels(
    modelsDir,
    Object.fromEntries(HOSTILE_MODELS.map((name) => [`${name}.sql`, `select '${name.length}';`])),
  );
  const first = await ok(["init-execution"]);
  const step1 = await ok(["init-step", first, "load", modelsDir, "*.sql"]);
  await ok(["complete-step", step1, "-r", "42"]);
  await ok(["complete-execution", first]);
  await writeModels(modelsDir, { [`${HOSTILE_MODELS[0]}.sql`]: "changed", "added.sql": "new" });
  const second = await ok(["init-execution"]);
  const step2 = await ok(["init-step", second, "load", modelsDir, "*.sql"]);
  await ok(["complete-step", step2, "-r", "7"]);
  await ok(["complete-execution", second]);
  await Deno.rename(`${modelsDir}/q'uote.sql`, `${modelsDir}/renamed.sql`);
  const failed = await ok(["init-execution"]);
  const step3 = await ok(["init-step", failed, "load", modelsDir, "*.sql"]);
  await ok(["fail-step", step3, "--reason", "<b>disk</b> full"]);
  await ok(["fail-execution", failed, "--reason", "<b>disk</b> full"]);
  return { first, second, failed };
}

/** What a command prints with `--format json` on the hostile pipeline, parsed. */
export async function dpoJson(store: StoreUnderTest, args: string[]): Promise<unknown> {
  const result = await runDpo([
    ...store.args,
    "--pipeline",
    HOSTILE_PIPELINE,
    "--format",
    "json",
    ...args,
  ]);
  assertEquals(result.code, 0, result.stderr);
  return JSON.parse(result.stdout);
}

/** A request's status, headers and body text. */
export async function get(url: string, init: RequestInit = {}) {
  const response = await fetch(url, init);
  return { status: response.status, headers: response.headers, body: await response.text() };
}

/** A page's JSON (`?format=json` added to its URL), after checking it answered 200. */
export async function getJson(url: string) {
  const response = await get(`${url}${url.includes("?") ? "&" : "?"}format=json`);
  assertEquals(response.status, 200, response.body);
  return JSON.parse(response.body);
}

/** The Content-Security-Policy and nosniff every response carries. */
export function assertSecurityHeaders(headers: Headers): void {
  const policy = headers.get("content-security-policy") ?? "";
  assertMatch(policy, /^default-src 'none'; style-src 'sha256-[A-Za-z0-9+/=]+';/);
  assert(!/script-src|unsafe/.test(policy), policy);
  assertEquals(headers.get("x-content-type-options"), "nosniff");
}

/** No value from the store appears unescaped: no markup it could inject survives. */
export function assertEscaped(body: string): void {
  assert(!body.includes("<script"), "a <script> tag in the page");
  assert(!body.includes("<img"), "an <img> tag in the page");
  assert(!body.includes("<b>"), "a <b> tag in the page");
  assert(!/ on\w+=/.test(body.replaceAll("onerror=alert(1)&gt;", "")), "an event handler");
}
