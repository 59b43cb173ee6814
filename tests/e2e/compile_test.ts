/**
 * The compiled executable (scripts/compile.sh, which `deno task compile` runs) goes through the
 * same two-execution pipeline as `deno run`, on the embedded store and on PostgreSQL, from a
 * folder outside the repository. `deno compile` needs its runtime, denort: from DENORT_BIN, or
 * downloaded into DENO_DIR on first use. Where neither works the tests are ignored, and the
 * module prints `compile test skipped: <reason>`.
 */
import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { type DpoOutput, runTwoExecutionPipeline } from "../../scripts/lib/two_run_pipeline.ts";
import { runCaptured } from "../../scripts/lib/captured_command.ts";
import { temporaryFolder } from "../helpers/model_tree.ts";
import { createTestDatabase } from "../helpers/postgres_server.ts";
import { REPO_ROOT } from "../../scripts/lib/repo_paths.ts";

/** A download that has not answered by then will not: the suite should not wait longer. */
const DOWNLOAD_PROBE_MS = 20_000;

/** The most detailed line of deno's error chain, e.g. "…: dns error: failed to lookup …". */
function errorDetail(stderr: string): string {
  const lines = stderr.split("\n").map((line) => line.trim()).filter((line) => /error/i.test(line));
  const longest = lines.reduce((a, b) => b.length > a.length ? b : a, "");
  return longest.replace(/^\d+: /, "").slice(0, 240) || "no error message";
}

/** Why the compiled binary cannot be built here, or undefined when it can. */
async function whyCompileIsImpossible(): Promise<string | undefined> {
  const denort = Deno.env.get("DENORT_BIN");
  if (denort) {
    const info = await Deno.stat(denort).catch(() => undefined);
    return info?.isFile ? undefined : `DENORT_BIN="${denort}" is not a file`;
  }
  const folder = await Deno.makeTempDir({ prefix: "dpo-compile-probe-" });
  try {
    await Deno.writeTextFile(`${folder}/probe.ts`, "console.log(1);\n");
    const child = new Deno.Command(Deno.execPath(), {
      args: ["compile", "--no-config", "--output", `${folder}/probe`, `${folder}/probe.ts`],
      env: { NO_COLOR: "1" },
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    const timer = setTimeout(() => child.kill(), DOWNLOAD_PROBE_MS);
    const output = await child.output();
    clearTimeout(timer);
    if (output.success) return undefined;
    const reason = output.signal
      ? `no answer within ${DOWNLOAD_PROBE_MS / 1000} s`
      : errorDetail(new TextDecoder().decode(output.stderr));
    return `DENORT_BIN is not set and deno compile cannot download denort (${reason})`;
  } finally {
    await Deno.remove(folder, { recursive: true });
  }
}

const skipReason = await whyCompileIsImpossible();
if (skipReason !== undefined) console.log(`compile test skipped: ${skipReason}`);

let compiled: Promise<string> | undefined;

/** dist/dpo's twin, built once per test process into a temporary folder. */
function compiledDpo(): Promise<string> {
  compiled ??= (async () => {
    const folder = await Deno.makeTempDir({ prefix: "dpo-compiled-" });
    globalThis.addEventListener("unload", () => Deno.removeSync(folder, { recursive: true }));
    const binary = `${folder}/dpo`;
    const output = await new Deno.Command(`${REPO_ROOT}/scripts/compile.sh`, {
      args: [binary],
      cwd: REPO_ROOT,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!output.success) {
      throw new Error(`scripts/compile.sh failed: ${new TextDecoder().decode(output.stderr)}`);
    }
    return binary;
  })();
  return compiled;
}

/** Runs the compiled binary in `cwd` with stdin closed and no database named by the environment. */
function runner(binary: string, options: { cwd: string; storeArgs: string[] }) {
  return (args: readonly string[]): Promise<DpoOutput> =>
    runCaptured(binary, [...options.storeArgs, ...args], {
      cwd: options.cwd,
      env: { DPO_DATABASE_URL: "", PGPASSWORD: "", PGHOST: "", PGUSER: "" },
    });
}

Deno.test({
  name:
    "the compiled dpo runs two pipeline executions on the default embedded store in its working folder",
  ignore: skipReason !== undefined,
  async fn() {
    const binary = await compiledDpo();
    await using work = await temporaryFolder();
    const run = runner(binary, { cwd: work.path, storeArgs: [] });
    const version = await run(["--version"]);
    assertEquals(version.code, 0, version.stderr);
    await runTwoExecutionPipeline({
      run,
      hostModels: `${work.path}/models`,
      dpoModels: `${work.path}/models`,
    });
    const store = await Deno.stat(`${work.path}/.dpo`);
    assert(store.isDirectory, "no .dpo store in the working folder");
  },
});

Deno.test({
  name: "the compiled dpo migrates a PostgreSQL database and runs two pipeline executions on it",
  ignore: skipReason !== undefined,
  async fn() {
    const binary = await compiledDpo();
    await using database = await createTestDatabase();
    await using work = await temporaryFolder();
    const run = runner(binary, { cwd: work.path, storeArgs: [database.url] });
    const upgrade = await run(["db", "upgrade"]);
    assertEquals([upgrade.code, upgrade.stdout], [0, ""], upgrade.stderr);
    await runTwoExecutionPipeline({
      run,
      hostModels: `${work.path}/models`,
      dpoModels: `${work.path}/models`,
    });
  },
});
