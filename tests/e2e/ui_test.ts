/**
 * `dpo ui` end to end on PostgreSQL and the embedded store: the real CLI serves on a free
 * loopback port; each page and its JSON are checked against what `dpo executions` and `dpo diff`
 * print, hostile names come back escaped, only GET and HEAD are answered, and SIGINT or SIGTERM
 * stop it with exit 0. The model page and the charts' figures: ui_model_test.ts.
 */
import {
  deepStrictEqual as assertEquals,
  match as assertMatch,
  ok as assert,
} from "node:assert/strict";
import { runDpo } from "../helpers/cli.ts";
import { temporaryFolder } from "../helpers/model_tree.ts";
import {
  assertCleanFailure,
  openStoreUnderTest,
  STORE_KINDS,
  type StoreUnderTest,
} from "../helpers/pipeline.ts";
import { startUi } from "../helpers/ui_server.ts";
import {
  assertEscaped,
  assertSecurityHeaders,
  dpoJson,
  get,
  getJson,
  HOSTILE_MODELS,
  HOSTILE_PIPELINE,
  type RecordedHistory,
  recordHistory,
} from "../helpers/ui_history.ts";

async function checkHome(base: string, ids: RecordedHistory) {
  const home = await get(base);
  assertEquals(home.status, 200);
  assertSecurityHeaders(home.headers);
  assertEquals(home.headers.get("content-type"), "text/html; charset=utf-8");
  assertEscaped(home.body);
  assert(home.body.includes("&lt;img src=x onerror=alert(1)&gt; &amp; &quot;night&#39;ly&quot;"));
  const homeJson = await getJson(base);
  assertEquals(homeJson.pipelines.length, 1);
  const [pipeline] = homeJson.pipelines;
  assertEquals(pipeline.pipeline, HOSTILE_PIPELINE);
  assertEquals(pipeline.last_execution.execution_id, ids.failed);
  assertEquals(pipeline.last_execution.status, "FAILED");
  const counts = [pipeline.executions, pipeline.recent_runs, pipeline.recent_completed];
  assertEquals([...counts, pipeline.recent_failed], [3, 3, 2, 1]);
  assertEquals(pipeline.success_rate, 2 / 3);
  return homeJson;
}

async function checkPipeline(base: string, store: StoreUnderTest, ids: RecordedHistory) {
  const pipelineUrl = `${base}pipelines/${encodeURIComponent(HOSTILE_PIPELINE)}`;
  const page = await get(pipelineUrl);
  assertEquals(page.status, 200);
  assertEscaped(page.body);
  const durationChart = page.body.slice(0, page.body.indexOf("</svg>"));
  assertEquals(durationChart.match(/<rect x=/g)?.length, 3, "one bar per execution");
  assert(durationChart.includes('fill="#c62828"'), "the failed execution drawn red");
  assertEquals(page.body.match(/<svg class="chart"/g)?.length, 3, "duration, rows, changes");
  for (const id of Object.values(ids)) assert(page.body.includes(`/executions/${id}`));
  const pipelineJson = await getJson(pipelineUrl);
  assertEquals(pipelineJson.executions, await dpoJson(store, ["executions"]));
  assertEquals(pipelineJson.has_next_page, false);
}

async function checkExecutions(base: string, store: StoreUnderTest, ids: RecordedHistory) {
  const executionUrl = `${base}executions/${ids.second}`;
  const page = await get(executionUrl);
  assertEquals(page.status, 200);
  assertEscaped(page.body);
  assert(page.body.includes("&lt;script&gt;alert(1)&lt;\\script&gt;"));
  const executionJson = await getJson(executionUrl);
  assertEquals(executionJson.execution, await dpoJson(store, ["executions", "show", ids.second]));
  assertEquals(executionJson.change_sets.map((c: { changes: unknown }) => c.changes), [[
    { name: "added", change: "A" },
    { name: HOSTILE_MODELS[0], change: "M" },
  ]]);
  const searched = await getJson(`${executionUrl}?q=add`);
  assertEquals(searched.change_sets[0].changes, [{ name: "added", change: "A" }]);
  assertEquals([searched.change_sets[0].total, searched.change_sets[0].unchanged], [1, 5]);
  const firstPage = await get(`${base}executions/${ids.first}`);
  assertEscaped(firstPage.body);
  assert(firstPage.body.includes("new\nline") && firstPage.body.includes("&amp;amp;"));
  assert(firstPage.body.includes("dq&quot;uote") && firstPage.body.includes("q&#39;uote"));
  assert(firstPage.body.includes("tab\there é😀"), "non-ASCII names as they are");
  const failedPage = await get(`${base}executions/${ids.failed}`);
  assert(failedPage.body.includes("&lt;b&gt;disk&lt;/b&gt; full"));
  assertEscaped(failedPage.body);
  // The rename is paired by the store's statement as `dpo diff` pairs it in memory.
  const failedJson = await getJson(`${base}executions/${ids.failed}`);
  const diff = await dpoJson(store, ["diff", ids.second, ids.failed]) as {
    steps: { renamed: { from: string; to: string }[] }[];
  };
  assertEquals(diff.steps[0].renamed, [{ from: "q'uote", to: "renamed" }]);
  assertEquals(failedJson.change_sets[0].changes, [{ name: "q'uote → renamed", change: "R" }]);
  assertEquals(failedJson.execution, await dpoJson(store, ["executions", "show", ids.failed]));
  return executionJson;
}

async function checkRefusals(base: string, ids: RecordedHistory) {
  const head = await get(base, { method: "HEAD" });
  assertEquals([head.status, head.body], [200, ""]);
  assertSecurityHeaders(head.headers);
  for (const method of ["POST", "PUT", "DELETE"]) {
    const refused = await get(base, { method, body: method === "DELETE" ? null : "x" });
    assertEquals([refused.status, refused.headers.get("allow")], [405, "GET, HEAD"]);
  }
  const unknown = await get(`${base}executions/${crypto.randomUUID()}?format=json`);
  assertEquals(unknown.status, 404);
  assertMatch(JSON.parse(unknown.body).error, /does not exist/);
  assertEquals((await get(`${base}executions/not-a-uuid`)).status, 400);
  assertEquals((await get(`${base}nothing/here`)).status, 404);
  assertEquals((await get(`${base}executions/${ids.second}?page=0`)).status, 400);
}

async function checkExport(
  store: StoreUnderTest,
  folder: string,
  served: { homeJson: unknown; executionJson: { change_sets: unknown } },
  ids: RecordedHistory,
) {
  const exported = `${folder}/site`;
  const exportRun = await runDpo([...store.args, "ui", "--export", exported]);
  assertEquals([exportRun.code, exportRun.stdout], [0, `5 pages written to ${exported}\n`]);
  assertEquals(JSON.parse(await Deno.readTextFile(`${exported}/index.json`)), served.homeJson);
  const exportedExecution = await Deno.readTextFile(`${exported}/execution-${ids.second}.json`);
  assertEquals(JSON.parse(exportedExecution).change_sets, served.executionJson.change_sets);
  for (const file of ["index.html", `execution-${ids.second}.html`]) {
    const text = await Deno.readTextFile(`${exported}/${file}`);
    assertEscaped(text);
    for (const [, href] of text.matchAll(/href="([^"]+)"/g)) {
      await Deno.stat(`${exported}/${decodeURIComponent(href)}`); // every link names a file
    }
  }
}

for (const kind of STORE_KINDS) {
  Deno.test(`dpo ui serves each page and its JSON as the commands report them, escaped, on ${kind}`, async () => {
    await using store = await openStoreUnderTest(kind);
    await using folder = await temporaryFolder();
    const ids = await recordHistory(store, `${folder.path}/models`);
    await using ui = await startUi(store.args);
    assertMatch(ui.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    const homeJson = await checkHome(ui.url, ids);
    await checkPipeline(ui.url, store, ids);
    const executionJson = await checkExecutions(ui.url, store, ids);
    await checkRefusals(ui.url, ids);
    await checkExport(store, folder.path, { homeJson, executionJson }, ids);

    const stopped = await ui.stop("SIGINT");
    assertEquals(stopped.code, 0, stopped.stderr);
    assertEquals(stopped.stdout, `${ui.url}\n`);
    // A clean stop, not an interrupted command: no error line.
    assert(!stopped.stderr.includes("error:"), stopped.stderr);
    if (kind === "PostgreSQL") {
      const password = new URL(store.args[0]).password;
      assert(password !== "" && !stopped.stderr.includes(password), "the password in the log");
    }
  });
}

Deno.test("dpo ui given one Ctrl-C twice at once (a terminal's and deno task's) stops cleanly with exit 0", async () => {
  // On PostgreSQL: closing its pool takes a round trip, so the process is still there for the
  // second signal. On SQLite it had exited within the millisecond, and this test passed with the
  // rule broken (answerInterrupt() exiting on any second interrupt: 6 of 6 runs); here it fails
  // (4 of 4). A SIGTERM first as well: a second SIGINT that comes before the first is taken is
  // merged with it by the system (1 of 4 runs), a different signal never is.
  for (const first of ["SIGINT", "SIGTERM"] as const) {
    await using store = await openStoreUnderTest("PostgreSQL");
    await using ui = await startUi(store.args);
    assert(ui.signal(first), `dpo ui had exited before the ${first}`);
    // The second right after the first, while the server is stopping.
    await new Promise((resolve) => setTimeout(resolve, 1));
    const stopped = await ui.stop("SIGINT");
    assertEquals(stopped.code, 0, `${first} then SIGINT: ${stopped.stderr}`);
    assert(!stopped.stderr.includes("error:"), stopped.stderr);
  }
});

Deno.test("dpo ui pages a pipeline's executions, refuses a port in use and stops on SIGTERM with exit 0", async () => {
  await using store = await openStoreUnderTest("SQLite");
  for (let i = 0; i < 52; i++) {
    const result = await runDpo([...store.args, "--pipeline", "many", "init-execution"]);
    assertEquals(result.code, 0, result.stderr);
  }
  await using ui = await startUi(store.args);
  const first = await getJson(`${ui.url}pipelines/many`);
  const second = await getJson(`${ui.url}pipelines/many?page=2`);
  assertEquals([first.executions.length, first.has_next_page], [50, true]);
  assertEquals([second.executions.length, second.has_next_page], [2, false]);
  assertEquals((await get(`${ui.url}pipelines/many?page=3`)).status, 404);
  const pageOne = await get(`${ui.url}pipelines/many`);
  assert(pageOne.body.includes('href="/pipelines/many?page=2"'), "a link to the next page");
  const port = new URL(ui.url).port;
  const taken = await runDpo([...store.args, "ui", "--port", port]);
  assertCleanFailure(taken, 1, new RegExp(`^error: Port ${port} on "127.0.0.1" is in use: `));
  const stopped = await ui.stop("SIGTERM");
  assertEquals(stopped.code, 0, stopped.stderr);
  assert(!stopped.stderr.includes("error:"), stopped.stderr);
});
