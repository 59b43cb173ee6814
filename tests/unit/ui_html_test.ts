/** The ui's escaping helper, its chart and the loopback check behind --host's warning. */
import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { escapeHtml, html } from "../../src/ui/html.ts";
import { barChart } from "../../src/ui/svg_chart.ts";
import { changePageCache } from "../../src/ui/change_page_cache.ts";
import { browserOpener } from "../../src/ui/open_browser.ts";
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

Deno.test("barChart() draws linked bars of stacked segments, escaped, a stub for no value", () => {
  const segment = (value: number, fill: string, title: string) => ({ value, fill, title });
  const svg = barChart([
    { href: "/executions/1", segments: [segment(1000, "#2e7d32", "<one>")], pendingTitle: "" },
    {
      href: "/executions/2",
      segments: [segment(300, "#0072b2", "load"), segment(200, "#e69f00", "build")],
      pendingTitle: "",
    },
    { href: "/executions/3", segments: [], pendingTitle: "three: running" },
  ], { description: "d", formatValue: (value) => `${value} ms` }).text;
  assertEquals(svg.match(/<rect /g)?.length, 4);
  assertEquals(svg.match(/<a href=/g)?.length, 3);
  assert(svg.includes("<title>&lt;one&gt;</title>") && !svg.includes("<one>"));
  assert(/height="2.0" fill="#9e9e9e">\s*<title>three: running<\/title>/.test(svg), svg);
  // The highest bar, 1,000, fills the plot (170 high); 300 + 200 stack to half of it.
  assert(svg.includes('height="170.0" fill="#2e7d32"'), svg);
  assert(svg.includes('y="129.0" width="24.0" height="51.0" fill="#0072b2"'), svg);
  assert(svg.includes('y="95.0" width="24.0" height="34.0" fill="#e69f00"'), svg);
});

Deno.test("isLoopback() tells loopback addresses from the ones beyond this machine", () => {
  for (const host of ["127.0.0.1", "127.1.2.3", "::1", "localhost"]) assert(isLoopback(host));
  for (const host of ["0.0.0.0", "::", "192.168.1.2", "example.com"]) assert(!isLoopback(host));
});

Deno.test("changePageCache() keeps the most recently used pages within its limit", () => {
  const page = (n: number) => ({
    counts: { added: n, modified: 0, deleted: 0, renamed: 0, matching: n },
    changes: [],
  });
  const cache = changePageCache(2);
  cache.set("a", page(1));
  cache.set("b", page(2));
  assert(cache.get("a") !== undefined); // now the most recently used
  cache.set("c", page(3)); // three pages: b, the least recently used, goes
  const added = (key: string) => cache.get(key)?.counts.added;
  assertEquals([added("a"), added("b"), added("c")], [1, undefined, 3]);
});

Deno.test("browserOpener() names each platform's opener and passes the URL last", () => {
  const url = "http://127.0.0.1:8765/";
  const cases = [
    { os: "linux", expected: ["xdg-open", url] },
    { os: "freebsd", expected: ["xdg-open", url] },
    { os: "darwin", expected: ["open", url] },
    { os: "windows", expected: ["cmd", "/c", "start", '""', url] },
  ] as const;
  for (const { os, expected } of cases) {
    const opener = browserOpener(os);
    assertEquals([opener.command, ...opener.args(url)], expected, os);
  }
});
