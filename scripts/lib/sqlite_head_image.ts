/**
 * Builds the file of a new embedded store from migrations/sqlite/, as `dpo db upgrade` migrates
 * an empty file, for the image new stores are written from (src/store/sqlite_image.ts): by
 * `deno task sqlite-image`, and by the unit test that checks the image against the migrations.
 */
import { loadMigrations } from "../../src/store/migration_files.ts";
import { upgrade } from "../../src/store/migrate.ts";
import {
  APPLIED_ON_PLACEHOLDER,
  encodeImage,
  type SqliteImage,
} from "../../src/store/sqlite_image.ts";
import { openSqliteStore } from "../../src/store/sqlite_store.ts";

const SILENT = { debug() {}, info() {}, warn() {}, error() {} };

/** The image of a new store at the head migration, its applied_on times the placeholder. */
export async function buildHeadImage(): Promise<SqliteImage> {
  const folder = await Deno.makeTempDir({ prefix: "dpo-sqlite-image-" });
  const file = `${folder}/dpo.sqlite`;
  try {
    // As any new store file is opened: 16 KiB pages, WAL.
    const store = openSqliteStore({ path: file, busyTimeoutSeconds: 1, log: SILENT });
    try {
      await upgrade(store, "head", SILENT);
      await store.exec(`UPDATE dpo.schema_migrations SET applied_on = '${APPLIED_ON_PLACEHOLDER}'`);
    } finally {
      await store.close();
    }
    return encodeImage(await Deno.readFile(file), loadMigrations("sqlite").length);
  } finally {
    await Deno.remove(folder, { recursive: true });
  }
}
