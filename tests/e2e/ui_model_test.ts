/**
 * `dpo ui`'s model page and the pipeline page's per-step figures, end to end on PostgreSQL and
 * the embedded store: the model page's JSON is what `dpo log --format json` prints, its HTML
 * escaped, reached from the execution page's change set; the charts' changed-model counts and
 * rows are what `dpo executions show` reports for each execution.
 */
import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { temporaryFolder } from "../helpers/model_tree.ts";
import { openStoreUnderTest, STORE_KINDS, type StoreUnderTest } from "../helpers/pipeline.ts";
import { startUi } from "../helpers/ui_server.ts";
import {
  assertEscaped,
  dpoJson,
  get,
  getJson,
  HOSTILE_MODELS,
  HOSTILE_PIPELINE,
  type RecordedHistory,
  recordHistory,
} from "../helpers/ui_history.ts";

const PIPELINE_PATH = `pipelines/${encodeURIComponent(HOSTILE_PIPELINE)}`;
/** A path as an attribute holds it: encodeURIComponent leaves ' as it is, html escapes it. */
const escapedHref = (path: string) => `/${path}`.replaceAll("'", "&#39;");
const modelPath = (name: string, step?: string) =>
  `${PIPELINE_PATH}/models/${encodeURIComponent(name)}${step === undefined ? "" : `?step=${step}`}`;

async function checkModelPages(base: string, store: StoreUnderTest) {
  const logJson = (args: string[]) => dpoJson(store, ["log", "--limit", "50", ...args]);
  for (const model of [HOSTILE_MODELS[0], "renamed", "q'uote", "new\nline"]) {
    const page = await getJson(`${base}${modelPath(model)}`);
    const printed = await logJson([model]) as { changes: unknown[] };
    assertEquals(page.changes, printed.changes, model);
    assertEquals([page.model, page.pipeline, page.has_next_page], [model, HOSTILE_PIPELINE, false]);
    const html = await get(`${base}${modelPath(model)}`);
    assertEquals(html.status, 200);
    assertEscaped(html.body);
  }
  const ofStep = await getJson(`${base}${modelPath(HOSTILE_MODELS[0], "load")}`);
  assertEquals(
    ofStep.changes,
    (await logJson([HOSTILE_MODELS[0], "--step", "load"]) as {
      changes: unknown[];
    }).changes,
  );
  assertEquals(ofStep.changes.map((c: { change: string }) => c.change), ["M", "A"]);
  const script = await get(`${base}${modelPath(HOSTILE_MODELS[0])}`);
  assert(script.body.includes('Model <span class="name">&lt;script&gt;alert(1)&lt;\\script&gt;'));
  // A rename links to the model's history under its other name.
  const renamed = await get(`${base}${modelPath("renamed")}`);
  assert(
    renamed.body.includes(
      `from <a class="name" href="${escapedHref(modelPath("q'uote"))}"`,
    ),
  );
  assertEquals((await get(`${base}${modelPath("no-such-model")}`)).status, 404);
  assertEquals((await get(`${base}${modelPath("added", "")}`)).status, 200);
}

async function checkExecutionLinks(base: string, ids: RecordedHistory) {
  const second = await get(`${base}executions/${ids.second}`);
  const addedLink = escapedHref(modelPath("added", "LOAD"));
  assert(second.body.includes(`<a href="${addedLink}">added</a>`), "the link to added");
  const scriptLink = escapedHref(modelPath(HOSTILE_MODELS[0], "LOAD"));
  assert(second.body.includes(`<a href="${scriptLink}">&lt;script&gt;`), "the <script> link");
  const failed = await get(`${base}executions/${ids.failed}`);
  assert(
    failed.body.includes(
      `<a href="${escapedHref(modelPath("renamed", "LOAD"))}">q&#39;uote → renamed</a>`,
    ),
  );
}

async function checkChartFigures(base: string, store: StoreUnderTest, ids: RecordedHistory) {
  const pipeline = await getJson(`${base}${PIPELINE_PATH}`);
  for (const executionId of Object.values(ids)) {
    const shown = await dpoJson(store, ["executions", "show", executionId]) as {
      steps: {
        step_id: string;
        step_name: string;
        rows_processed: unknown;
        changed_models: unknown;
      }[];
    };
    const charted = pipeline.steps.filter((s: { execution_id: string }) =>
      s.execution_id === executionId
    );
    assertEquals(
      charted,
      shown.steps.map((s) => ({
        execution_id: executionId,
        step_id: s.step_id,
        step_name: s.step_name,
        rows_processed: s.rows_processed,
        changed_models: s.changed_models,
      })),
    );
  }
  // First run: nothing to compare with; second: added + modified; failed: the renamed one.
  const changed = pipeline.steps.map((s: { changed_models: number | null }) => s.changed_models);
  assertEquals(changed.toSorted(), [1, 2, null]);
  const page = await get(`${base}${PIPELINE_PATH}`);
  assert(
    /Rows processed per step[\s\S]*<title>[^<]*: LOAD, 42 rows processed<\/title>/.test(page.body),
  );
  assert(
    /Changed models per step[\s\S]*<title>[^<]*: LOAD, 2 changed models<\/title>/.test(page.body),
  );
}

for (const kind of STORE_KINDS) {
  Deno.test(`dpo ui's model page is dpo log's history and its charts count as executions show, on ${kind}`, async () => {
    await using store = await openStoreUnderTest(kind);
    await using folder = await temporaryFolder();
    const ids = await recordHistory(store, `${folder.path}/models`);
    await using ui = await startUi(store.args);
    await checkModelPages(ui.url, store);
    await checkExecutionLinks(ui.url, ids);
    await checkChartFigures(ui.url, store, ids);
    const stopped = await ui.stop("SIGINT");
    assertEquals(stopped.code, 0, stopped.stderr);
  });
}
