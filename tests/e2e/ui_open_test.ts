/**
 * `dpo ui --open` with a fake opener first on PATH: dpo must call it with the URL it serves on. An
 * opener that is missing or fails costs one warning line on stderr, and the pages are served on.
 */
import { deepStrictEqual as assertEquals, match as assertMatch } from "node:assert/strict";
import { temporaryFolder } from "../helpers/model_tree.ts";
import { runDpo } from "../helpers/cli.ts";
import { assertCleanFailure, openStoreUnderTest } from "../helpers/pipeline.ts";
import { startUi } from "../helpers/ui_server.ts";
import { browserOpener } from "../../src/ui/open_browser.ts";

// The fake opener is a shell script named as this platform's opener.
const OPENER = browserOpener().command;
const IGNORE = Deno.build.os === "windows";
if (IGNORE) console.error("ui --open tests skipped: the fake opener is a shell script");

/** Writes an executable `name` into `folder` that runs `body` (sh). */
async function fakeProgram(folder: string, name: string, body: string): Promise<void> {
  await Deno.mkdir(folder, { recursive: true });
  await Deno.writeTextFile(`${folder}/${name}`, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
}

async function readWhenWritten(path: string, seconds: number): Promise<string> {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    try {
      const text = await Deno.readTextFile(path);
      if (text !== "") return text;
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
    if (Date.now() > deadline) throw new Error(`${path} was not written in ${seconds} s`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

Deno.test({
  name: "dpo ui --open calls the platform's opener with the URL it serves on",
  ignore: IGNORE,
  fn: async () => {
    await using store = await openStoreUnderTest("SQLite");
    await using folder = await temporaryFolder();
    const opened = `${folder.path}/opened.txt`;
    await fakeProgram(`${folder.path}/bin`, OPENER, `printf '%s' "$1" > "$DPO_TEST_OPENED"`);
    await using ui = await startUi(store.args, {
      uiArgs: ["--open"],
      env: { PATH: `${folder.path}/bin:${Deno.env.get("PATH")}`, DPO_TEST_OPENED: opened },
    });
    assertEquals(await readWhenWritten(opened, 20), ui.url);
    assertEquals((await fetch(ui.url)).status, 200);
    const stopped = await ui.stop();
    assertEquals(stopped.code, 0, stopped.stderr);
    assertEquals(stopped.stderr.match(/WARNING/g), null, stopped.stderr);
  },
});

Deno.test({
  name: "dpo ui --open without a working opener warns in one line and serves on",
  ignore: IGNORE,
  fn: async (t) => {
    await using store = await openStoreUnderTest("SQLite");
    await using folder = await temporaryFolder();
    await fakeProgram(`${folder.path}/failing`, OPENER, "exit 3");
    const cases = [
      { name: "none on PATH", path: `${folder.path}/empty`, reason: `"${OPENER}" is not on PATH` },
      {
        name: "one that fails",
        path: `${folder.path}/failing`,
        reason: `"${OPENER}" exited with code 3`,
      },
    ];
    await Deno.mkdir(`${folder.path}/empty`);
    for (const { name, path, reason } of cases) {
      await t.step(name, async () => {
        await using ui = await startUi(store.args, { uiArgs: ["--open"], env: { PATH: path } });
        // The warning comes once the opener has been tried: give it time, then stop.
        for (let i = 0; i < 40 && (await fetch(ui.url)).status === 200; i++) {
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        const stopped = await ui.stop();
        assertEquals(stopped.code, 0, stopped.stderr);
        const warnings = stopped.stderr.split("\n").filter((line) => line.includes("WARNING"));
        assertEquals(warnings.length, 1, stopped.stderr);
        assertMatch(warnings[0], new RegExp(`Cannot open a browser: ${reason}; open http://`));
      });
    }
  },
});

Deno.test("dpo ui --open with --export is a usage error: one serves, the other writes files", async () => {
  await using store = await openStoreUnderTest("SQLite");
  await using folder = await temporaryFolder();
  const result = await runDpo([...store.args, "ui", "--export", `${folder.path}/site`, "--open"]);
  assertCleanFailure(result, 2, /^error: --open serves the pages, --export writes them: give one/);
});
