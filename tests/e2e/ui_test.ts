/**
 * `dpo ui` end to end on PostgreSQL and the embedded store: the real CLI serves on a free
 * loopback port; each page and its JSON are checked against what `dpo executions` prints, hostile
 * names come back escaped, only GET and HEAD are answered, and SIGINT or SIGTERM stop it with
 * exit 0.
 */
import {
  deepStrictEqual as assertEquals,
  match as assertMatch,
  ok as assert,
} from "node:assert/strict";
import { runDpo } from "../helpers/cli.ts";
import { temporaryFolder, writeModels } from "../helpers/model_tree.ts";
import {
  assertCleanFailure,
  openStoreUnderTest,
  STORE_KINDS,
  type StoreUnderTest,
} from "../helpers/pipeline.ts";
import { startUi } from "../helpers/ui_server.ts";

/** A pipeline name and model names that are markup, quotes, line breaks, tabs and non-ASCII. */
const HOSTILE_PIPELINE = `<img src=x onerror=alert(1)> & "night'ly"`;
const HOSTILE_MODELS = [
  `<script>alert(1)<\\script>`,
  `dq"uote`,
  "new\nline",
  "q'uote",
  "&amp;",
  "tab\there é😀",
];

/** Two completed executions and a failed one of the hostile pipeline; their ids, oldest first. */
async function recordHistory(store: StoreUnderTest, modelsDir: string) {
  const ok = async (args: string[]) => {
    const result = await runDpo([...store.args, "--pipeline", HOSTILE_PIPELINE, ...args]);
    assertEquals(result.code, 0, `dpo ${args.join(" ")}: ${result.stderr}`);
    return result.stdout.trim();
  };
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
  const failed = await ok(["init-execution"]);
  const step3 = await ok(["init-step", failed, "load", modelsDir, "*.sql"]);
  await ok(["fail-step", step3, "--reason", "<b>disk</b> full"]);
  await ok(["fail-execution", failed, "--reason", "<b>disk</b> full"]);
  return { first, second, failed };
}

async function get(url: string, init: RequestInit = {}) {
  const response = await fetch(url, init);
  return { status: response.status, headers: response.headers, body: await response.text() };
}

function assertSecurityHeaders(headers: Headers): void {
  const policy = headers.get("content-security-policy") ?? "";
  assertMatch(policy, /^default-src 'none'; style-src 'sha256-[A-Za-z0-9+/=]+';/);
  assert(!/script-src|unsafe/.test(policy), policy);
  assertEquals(headers.get("x-content-type-options"), "nosniff");
}

/** No value from the store appears unescaped: no markup it could inject survives. */
function assertEscaped(body: string): void {
  assert(!body.includes("<script"), "a <script> tag in the page");
  assert(!body.includes("<img"), "an <img> tag in the page");
  assert(!body.includes("<b>"), "a <b> tag in the page");
  assert(!/ on\w+=/.test(body.replaceAll("onerror=alert(1)&gt;", "")), "an event handler");
}

for (const kind of STORE_KINDS) {
  Deno.test(`dpo ui serves each page and its JSON as the commands report them, escaped, on ${kind}`, async () => {
    await using store = await openStoreUnderTest(kind);
    await using folder = await temporaryFolder();
    const ids = await recordHistory(store, `${folder.path}/models`);
    const dpoJson = async (args: string[]) => {
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
    };
    await using ui = await startUi(store.args);
    assertMatch(ui.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);

    const home = await get(ui.url);
    assertEquals(home.status, 200);
    assertSecurityHeaders(home.headers);
    assertEquals(home.headers.get("content-type"), "text/html; charset=utf-8");
    assertEscaped(home.body);
    assert(home.body.includes("&lt;img src=x onerror=alert(1)&gt; &amp; &quot;night&#39;ly&quot;"));
    const homeJson = JSON.parse((await get(`${ui.url}?format=json`)).body);
    assertEquals(homeJson.pipelines.length, 1);
    const [pipeline] = homeJson.pipelines;
    assertEquals(pipeline.pipeline, HOSTILE_PIPELINE);
    assertEquals(pipeline.last_execution.execution_id, ids.failed);
    assertEquals(pipeline.last_execution.status, "FAILED");
    assertEquals(
      [
        pipeline.executions,
        pipeline.recent_runs,
        pipeline.recent_completed,
        pipeline.recent_failed,
      ],
      [3, 3, 2, 1],
    );
    assertEquals(pipeline.success_rate, 2 / 3);

    const pipelineUrl = `${ui.url}pipelines/${encodeURIComponent(HOSTILE_PIPELINE)}`;
    const pipelinePage = await get(pipelineUrl);
    assertEquals(pipelinePage.status, 200);
    assertEscaped(pipelinePage.body);
    assertEquals(pipelinePage.body.match(/<rect x=/g)?.length, 3, "one bar per execution");
    assert(pipelinePage.body.includes('fill="#c62828"'), "the failed execution drawn red");
    for (const id of Object.values(ids)) assert(pipelinePage.body.includes(`/executions/${id}`));
    const pipelineJson = JSON.parse((await get(`${pipelineUrl}?format=json`)).body);
    assertEquals(pipelineJson.executions, await dpoJson(["executions"]));
    assertEquals(pipelineJson.has_next_page, false);

    const executionUrl = `${ui.url}executions/${ids.second}`;
    const executionPage = await get(executionUrl);
    assertEquals(executionPage.status, 200);
    assertEscaped(executionPage.body);
    assert(executionPage.body.includes("&lt;script&gt;alert(1)&lt;\\script&gt;"));
    const executionJson = JSON.parse((await get(`${executionUrl}?format=json`)).body);
    assertEquals(executionJson.execution, await dpoJson(["executions", "show", ids.second]));
    assertEquals(executionJson.change_sets.map((c: { changes: unknown }) => c.changes), [[
      { name: "added", change: "A" },
      { name: HOSTILE_MODELS[0], change: "M" },
    ]]);
    const searched = JSON.parse((await get(`${executionUrl}?format=json&q=add`)).body);
    assertEquals(searched.change_sets[0].changes, [{ name: "added", change: "A" }]);
    const firstPage = await get(`${ui.url}executions/${ids.first}`);
    assertEscaped(firstPage.body);
    assert(firstPage.body.includes("new\nline") && firstPage.body.includes("&amp;amp;"));
    assert(firstPage.body.includes("dq&quot;uote") && firstPage.body.includes("q&#39;uote"));
    assert(firstPage.body.includes("tab\there é😀"), "non-ASCII names as they are");
    const failedPage = await get(`${ui.url}executions/${ids.failed}`);
    assert(failedPage.body.includes("&lt;b&gt;disk&lt;/b&gt; full"));
    assertEscaped(failedPage.body);

    const head = await get(ui.url, { method: "HEAD" });
    assertEquals([head.status, head.body], [200, ""]);
    assertSecurityHeaders(head.headers);
    for (const method of ["POST", "PUT", "DELETE"]) {
      const refused = await get(ui.url, { method, body: method === "DELETE" ? null : "x" });
      assertEquals([refused.status, refused.headers.get("allow")], [405, "GET, HEAD"]);
    }
    const unknown = await get(`${ui.url}executions/${crypto.randomUUID()}?format=json`);
    assertEquals(unknown.status, 404);
    assertMatch(JSON.parse(unknown.body).error, /does not exist/);
    assertEquals((await get(`${ui.url}executions/not-a-uuid`)).status, 400);
    assertEquals((await get(`${ui.url}nothing/here`)).status, 404);
    assertEquals((await get(`${executionUrl}?page=0`)).status, 400);

    const exported = `${folder.path}/site`;
    const exportRun = await runDpo([...store.args, "ui", "--export", exported]);
    assertEquals([exportRun.code, exportRun.stdout], [0, `5 pages written to ${exported}\n`]);
    assertEquals(JSON.parse(await Deno.readTextFile(`${exported}/index.json`)), homeJson);
    const exportedExecution = await Deno.readTextFile(`${exported}/execution-${ids.second}.json`);
    assertEquals(JSON.parse(exportedExecution).change_sets, executionJson.change_sets);
    const index = await Deno.readTextFile(`${exported}/index.html`);
    assertEscaped(index);
    for (const [, href] of index.matchAll(/href="([^"]+)"/g)) {
      await Deno.stat(`${exported}/${decodeURIComponent(href)}`); // every link names a file
    }

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

Deno.test("dpo ui pages a pipeline's executions, refuses a port in use and stops on SIGTERM with exit 0", async () => {
  await using store = await openStoreUnderTest("SQLite");
  for (let i = 0; i < 52; i++) {
    const result = await runDpo([...store.args, "--pipeline", "many", "init-execution"]);
    assertEquals(result.code, 0, result.stderr);
  }
  await using ui = await startUi(store.args);
  const first = JSON.parse((await get(`${ui.url}pipelines/many?format=json`)).body);
  const second = JSON.parse((await get(`${ui.url}pipelines/many?format=json&page=2`)).body);
  assertEquals([first.executions.length, first.has_next_page], [50, true]);
  assertEquals([second.executions.length, second.has_next_page], [2, false]);
  const pageOne = await get(`${ui.url}pipelines/many`);
  assert(pageOne.body.includes('href="/pipelines/many?page=2"'), "a link to the next page");
  const port = new URL(ui.url).port;
  const taken = await runDpo([...store.args, "ui", "--port", port]);
  assertCleanFailure(taken, 1, new RegExp(`^error: Port ${port} on "127.0.0.1" is in use: `));
  const stopped = await ui.stop("SIGTERM");
  assertEquals(stopped.code, 0, stopped.stderr);
  assert(!stopped.stderr.includes("error:"), stopped.stderr);
});
