/**
 * `dpo ui` in a real browser: Debian's chromium, headless, loads the pipelines, pipeline,
 * execution and model pages; the chart and tables must be in the rendered DOM and the console must stay
 * silent (a Content-Security-Policy violation is a console message). A screenshot of the pipeline
 * page is saved in a temporary folder the test leaves behind, and its path printed. scripts/test.sh installs
 * chromium when missing (scripts/lib/ensure_chromium.sh); without it the test is skipped.
 */
import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { runDpo } from "../helpers/cli.ts";
import { temporaryFolder, writeModels } from "../helpers/model_tree.ts";
import { openStoreUnderTest } from "../helpers/pipeline.ts";
import { startUi } from "../helpers/ui_server.ts";

function findChromium(): string | undefined {
  for (const path of ["/usr/bin/chromium", "/usr/bin/chromium-browser"]) {
    try {
      if (Deno.statSync(path).isFile) return path;
    } catch { /* not here */ }
  }
  return undefined;
}

const CHROMIUM = findChromium();
if (CHROMIUM === undefined) {
  console.log("ui browser test skipped: chromium is not installed and could not be (see test.sh)");
}

/** Runs headless chromium on a URL; its stdout (the DOM with --dump-dom) and console lines. */
async function chromium(profile: string, args: string[]) {
  const output = await new Deno.Command(CHROMIUM!, {
    args: [
      "--headless",
      "--no-sandbox", // the tests run as root, where chromium's sandbox refuses to start
      "--disable-gpu",
      `--user-data-dir=${profile}`,
      "--enable-logging=stderr",
      "--v=0",
      ...args,
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(output.stderr);
  return {
    code: output.code,
    dom: new TextDecoder().decode(output.stdout),
    consoleLines: stderr.split("\n").filter((line) => line.includes(":CONSOLE")),
  };
}

Deno.test({
  name: "dpo ui pages render in headless chromium with the chart, the tables and a silent console",
  ignore: CHROMIUM === undefined,
  fn: async () => {
    await using store = await openStoreUnderTest("SQLite");
    await using folder = await temporaryFolder();
    const ok = async (args: string[]) => {
      const result = await runDpo([...store.args, "--pipeline", "nightly", ...args]);
      assertEquals(result.code, 0, result.stderr);
      return result.stdout.trim();
    };
    const models = `${folder.path}/models`;
    await writeModels(models, { "<script>a.sql": "1", "b.sql": "2", "c.sql": "3", "d.sql": "4" });
    const ids: string[] = [];
    // Two steps an execution, with rows, so that the screenshot shows stacked bars.
    for (const [i, ending] of ["complete", "complete", "complete", "fail"].entries()) {
      if (i > 0) await writeModels(models, { "b.sql": `changed ${i}`, [`new${i}.sql`]: "n" });
      const id = await ok(["init-execution"]);
      const load = await ok(["init-step", id, "load", models, "*.sql"]);
      await ok(["complete-step", load, "-r", String(1000 + 700 * i)]);
      const transform = await ok(["init-step", id, "transform", models, "[bc]*.sql"]);
      await ok(
        ending === "fail"
          ? ["fail-step", transform, "--reason", "boom"]
          : ["complete-step", transform, "-r", String(400 + 300 * (i % 2))],
      );
      await ok(ending === "fail" ? ["fail-execution", id] : ["complete-execution", id]);
      ids.push(id);
    }
    await using ui = await startUi(store.args);
    const profile = `${folder.path}/chromium-profile`;
    const pages = [
      { path: "", expect: ['<table class="pipelines"', "nightly"] },
      {
        path: "pipelines/nightly",
        expect: ['<svg class="chart"', "<rect", '<table class="executions"'],
      },
      { path: `executions/${ids[1]}`, expect: ['<table class="steps"', '<table class="changes"'] },
      {
        path: `pipelines/nightly/models/${encodeURIComponent("<script>a")}`,
        expect: ['<table class="model-log"', "&lt;script&gt;a"],
      },
    ];
    for (const page of pages) {
      const loaded = await chromium(profile, ["--dump-dom", `${ui.url}${page.path}`]);
      assertEquals(loaded.code, 0);
      for (const text of page.expect) assert(loaded.dom.includes(text), `${page.path}: ${text}`);
      assert(!loaded.dom.includes("<script"), `${page.path}: a script element`);
      assertEquals(loaded.consoleLines, [], `${page.path}: console messages`);
    }
    // Kept after the test (the store's folder is not) so that it can be looked at.
    const screenshotFolder = await Deno.makeTempDir({ prefix: "dpo-ui-screenshot-" });
    const screenshot = `${screenshotFolder}/ui-pipeline.png`;
    const shot = await chromium(profile, [
      "--hide-scrollbars",
      "--window-size=1000,1040",
      `--screenshot=${screenshot}`,
      `${ui.url}pipelines/nightly`,
    ]);
    assertEquals(shot.code, 0);
    assert((await Deno.stat(screenshot)).size > 5_000, "an empty screenshot");
    console.log(`screenshot of the pipeline page: ${screenshot}`);
    const stopped = await ui.stop();
    assertEquals(stopped.code, 0, stopped.stderr);
  },
});
