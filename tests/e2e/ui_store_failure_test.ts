/**
 * `dpo ui` when the store fails under a page: the page answers 500 without the store's words, and
 * the log says what happened in one line, in the words a command would print for the same failure.
 */
import { deepStrictEqual as assertEquals, match as assertMatch } from "node:assert/strict";
import { dpoOk } from "../helpers/cli.ts";
import { openStoreUnderTest } from "../helpers/pipeline.ts";
import { startUi } from "../helpers/ui_server.ts";
import { get } from "../helpers/ui_history.ts";

Deno.test("dpo ui on PostgreSQL logs a page's store failure in one line, worded as a command words it", async () => {
  await using store = await openStoreUnderTest("PostgreSQL");
  await using ui = await startUi(store.args);
  // The schema goes while the pages are served: the next page meets SQLSTATE 42P01.
  await dpoOk([...store.args, "db", "downgrade", "base"]);
  const page = await get(ui.url);
  assertEquals(page.status, 500);
  assertEquals(page.body, "The store could not answer: see dpo ui's log\n");
  const { code, stderr } = await ui.stop();
  assertEquals(code, 0);
  const failures = stderr.split("\n").filter((line) => line.includes(" - ERROR - "));
  assertEquals(failures.length, 1, stderr);
  assertMatch(
    failures[0],
    /ERROR - GET \/: The dpo schema is missing or incomplete in postgresql:\/\/\S+ \(relation "dpo\.\w+" does not exist\): run "dpo db upgrade"$/,
  );
});
