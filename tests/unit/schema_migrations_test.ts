import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { HEAD_MIGRATION } from "../../src/store/schema_migrations.ts";
import { migrationNames } from "../../src/store/migration_files.ts";

Deno.test("HEAD_MIGRATION names the newest migration shipped for both stores", () => {
  // Every command on the embedded store checks for HEAD_MIGRATION instead of reading
  // migrations/: a migration added without moving it would never be applied there.
  assertEquals(migrationNames("postgres").at(-1), HEAD_MIGRATION);
  assertEquals(migrationNames("sqlite").at(-1), HEAD_MIGRATION);
  assertEquals(migrationNames("sqlite"), migrationNames("postgres"));
});
