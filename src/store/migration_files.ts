/**
 * Reads the SQL migrations shipped in migrations/ (embedded in the compiled binary): PostgreSQL's
 * in migrations/, SQLite's under the same names in migrations/sqlite/.
 */
import type { Dialect } from "./database.ts";

/** One dpo migration: `NNNN_name.sql` with `-- migrate:up` and `-- migrate:down` blocks. */
export interface Migration {
  /** "0001" */
  revision: string;
  /** "0001_python_schema" */
  name: string;
  up: string;
  down: string;
}

/** What adopting a Python-tool database at one alembic revision runs around dpo's 0001. */
export interface Adoption {
  alembicRevision: string;
  beforeFirst: string;
  afterFirst: string;
}

/** The Python tool's alembic revisions, oldest first. */
export const ALEMBIC_REVISIONS = ["7d9871ef8afa", "fe9eed6d812f", "c5c34dd0b8f2"] as const;

const MIGRATIONS_DIR = new URL("../../migrations/", import.meta.url);
const FOLDERS: Record<Dialect, URL> = {
  postgres: MIGRATIONS_DIR,
  sqlite: new URL("sqlite/", MIGRATIONS_DIR),
};
const FILE_NAME = /^(\d{4})_[a-z0-9_]+\.sql$/;

/** Every migration's name ("0001_python_schema"), oldest first, without reading the files. */
export function migrationNames(dialect: Dialect): string[] {
  return migrationFileNames(dialect).map((fileName) => fileName.replace(/\.sql$/, ""));
}

// Read synchronously: the embedded store checks its revision on every command, and each
// asynchronous read would cost an event-loop turn.
function migrationFileNames(dialect: Dialect): string[] {
  const names: string[] = [];
  for (const entry of Deno.readDirSync(FOLDERS[dialect])) {
    if (entry.isFile && FILE_NAME.test(entry.name)) names.push(entry.name);
  }
  return names.sort();
}

/** Every migration of a dialect, oldest first. */
export function loadMigrations(dialect: Dialect): Migration[] {
  return migrationFileNames(dialect).map((fileName) => {
    const text = Deno.readTextFileSync(new URL(fileName, FOLDERS[dialect]));
    const blocks = splitBlocks(text, fileName);
    const up = blocks.get("migrate:up");
    const down = blocks.get("migrate:down");
    if (up === undefined || down === undefined) {
      throw new TypeError(`Migration ${fileName} needs "-- migrate:up" and "-- migrate:down"`);
    }
    return { revision: fileName.slice(0, 4), name: fileName.replace(/\.sql$/, ""), up, down };
  });
}

/** The adoption steps from one alembic revision to the last, in order. */
export async function loadAdoptions(fromRevision: string): Promise<Adoption[]> {
  const start = ALEMBIC_REVISIONS.indexOf(fromRevision as typeof ALEMBIC_REVISIONS[number]);
  const adoptions: Adoption[] = [];
  for (const revision of ALEMBIC_REVISIONS.slice(start, -1)) {
    const fileName = `python/${revision}.sql`;
    const blocks = splitBlocks(
      await Deno.readTextFile(new URL(fileName, MIGRATIONS_DIR)),
      fileName,
    );
    adoptions.push({
      alembicRevision: revision,
      beforeFirst: blocks.get("adopt:before-0001") ?? "",
      afterFirst: blocks.get("adopt:after-0001") ?? "",
    });
  }
  return adoptions;
}

function splitBlocks(text: string, fileName: string): Map<string, string> {
  const blocks = new Map<string, string>();
  let current: string | undefined;
  for (const line of text.split("\n")) {
    const marker = line.match(/^--\s*((?:migrate|adopt):[a-z0-9-]+)\s*$/);
    if (marker) {
      current = marker[1];
      if (blocks.has(current)) throw new TypeError(`${fileName} repeats "-- ${current}"`);
      blocks.set(current, "");
    } else if (current !== undefined) {
      blocks.set(current, blocks.get(current) + line + "\n");
    }
  }
  return blocks;
}
