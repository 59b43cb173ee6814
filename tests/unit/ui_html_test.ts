/** The ui's escaping helper, its chart and the loopback check behind --host's warning. */
import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { escapeHtml, html } from "../../src/ui/html.ts";
import { durationChart } from "../../src/ui/svg_chart.ts";
import { changeSetCache } from "../../src/ui/change_set_cache.ts";
import { isLoopback } from "../../src/cli/commands/ui.ts";

Deno.test("escapeHtml() escapes markup, both quotes and ampersands, and mends lone surrogates", async (t) => {
  const cases = [
    { name: "a tag", input: "<script>.sql", expected: "&lt;script&gt;.sql" },
    { name: "quotes", input: `dq"q'`, expected: "dq&quot;q&#39;" },
    { name: "an entity", input: "&amp;", expected: "&amp;amp;" },
    { name: "a line break", input: "new\nline", expected: "new\nline" },
    { name: "a lone surrogate", input: "a\uD800b", expected: "a\uFFFDb" },
  ];
  for (const { name, input, expected } of cases) {
    await t.step(name, () => assertEquals(escapeHtml(input), expected));
  }
});

Deno.test("html`` escapes interpolated text but keeps nested html and joins arrays", () => {
  const name = "<b>";
  const inner = html`<i>${name}</i>`;
  assertEquals(
    html`<p title="${name}">${inner}${[inner, inner]}</p>`.text,
    '<p title="&lt;b&gt;"><i>&lt;b&gt;</i><i>&lt;b&gt;</i><i>&lt;b&gt;</i></p>',
  );
});

Deno.test("durationChart() draws one linked bar per execution, escaped, coloured by status", () => {
  const svg = durationChart([
    { label: "<one>", status: "COMPLETED", milliseconds: 1000, href: "/executions/1" },
    { label: "two", status: "FAILED", milliseconds: 500, href: "/executions/2" },
    { label: "three", status: "IN_PROGRESS", milliseconds: null, href: "/executions/3" },
  ], (ms) => `${ms} ms`).text;
  assertEquals(svg.match(/<rect /g)?.length, 3);
  assert(svg.includes("&lt;one&gt;: COMPLETED, 1000 ms") && !svg.includes("<one>"));
  assert(svg.includes('fill="#c62828"') && svg.includes("three: IN_PROGRESS, running"));
});

Deno.test("isLoopback() tells loopback addresses from the ones beyond this machine", () => {
  for (const host of ["127.0.0.1", "127.1.2.3", "::1", "localhost"]) assert(isLoopback(host));
  for (const host of ["0.0.0.0", "::", "192.168.1.2", "example.com"]) assert(!isLoopback(host));
});

Deno.test("changeSetCache() keeps the most recently used change sets within its name limit", () => {
  const set = (n: number) => ({
    added: Array.from({ length: n }, (_, i) => `m${i}`),
    modified: [],
    deleted: [],
    renamed: [],
    unchanged: 0,
  });
  const cache = changeSetCache(10);
  cache.set("a", set(4));
  cache.set("b", set(4));
  assert(cache.get("a") !== undefined); // now the most recently used
  cache.set("c", set(4)); // 15 names with a, b and c: b, the least recently used, goes
  assertEquals([cache.get("a")?.added.length, cache.get("b"), cache.get("c")?.added.length], [
    4,
    undefined,
    4,
  ]);
  cache.set("huge", set(20));
  assertEquals(cache.get("huge"), undefined);
});
