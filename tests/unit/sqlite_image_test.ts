import { deepStrictEqual as assertEquals, throws as assertThrows } from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { buildHeadImage } from "../../scripts/lib/sqlite_head_image.ts";
import { migrationNames } from "../../src/store/migration_files.ts";
import { HEAD_IMAGE } from "../../src/store/sqlite_head_image.ts";
import { APPLIED_ON_PLACEHOLDER, encodeImage, imageBytes } from "../../src/store/sqlite_image.ts";
import { temporaryFolder } from "../helpers/model_tree.ts";

Deno.test("the image new stores are written from is what migrations/sqlite make of an empty file", async () => {
  // Fails after a SQLite migration is added or changed until `deno task sqlite-image` is run:
  // new stores would otherwise miss it (or hold an outdated schema) until the next check.
  assertEquals(await buildHeadImage(), HEAD_IMAGE, "run `deno task sqlite-image`");
});

Deno.test("a store written from the image is whole, in WAL mode, and says when it was made", async () => {
  await using folder = await temporaryFolder();
  const file = `${folder.path}/dpo.sqlite`;
  const madeAt = "2026-12-06T08:10:00.123456+00:00";
  await Deno.writeFile(file, imageBytes(HEAD_IMAGE, madeAt));
  const db = new DatabaseSync(file);
  try {
    const pragma = (name: string) => Object.values(db.prepare(`PRAGMA ${name}`).get() ?? {})[0];
    assertEquals(
      ["integrity_check", "journal_mode", "page_size"].map(pragma),
      ["ok", "wal", 16384],
    );
    const rows = db.prepare("SELECT version, applied_on FROM schema_migrations ORDER BY 1").all();
    assertEquals(
      rows.map((row) => ({ ...row })),
      migrationNames("sqlite").map((version) => ({ version, applied_on: madeAt })),
    );
  } finally {
    db.close();
  }
});

Deno.test("encodeImage() keeps the runs of non-zero bytes that imageBytes() puts back", () => {
  const placeholder = new TextEncoder().encode(APPLIED_ON_PLACEHOLDER);
  const bytes = new Uint8Array(4096);
  bytes.set([1, 2, 0, 3], 0); // a short gap stays inside its run
  bytes.set(placeholder, 1000);
  bytes.set([255], 4095); // the last byte
  const image = encodeImage(bytes, 1);
  assertEquals(image.appliedOnOffsets, [1000]);
  assertEquals(image.runs.length, 3);
  assertEquals(imageBytes(image, APPLIED_ON_PLACEHOLDER), bytes);
  const later = imageBytes(image, "2027-01-02T03:04:05.678901+00:00");
  assertEquals(
    new TextDecoder().decode(later.subarray(1000, 1032)),
    "2027-01-02T03:04:05.678901+00:00",
  );
  assertThrows(() => encodeImage(bytes, 2), /placeholder 1 times, not once for each of its 2/);
  assertThrows(() => imageBytes(image, "2027-01-02"), /is not as long as/);
});
