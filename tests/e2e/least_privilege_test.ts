/**
 * docs/security.md's least-privilege setup, SQL for SQL: a migration role that owns schema dpo and runs
 * `dpo db upgrade`, and a runtime role that may only read and write dpo's rows. The whole
 * pipeline runs as the runtime role, which cannot change the schema.
 */
import { deepStrictEqual as assertEquals, match as assertMatch } from "node:assert/strict";
import postgres from "postgres";
import { dpoOk, runDpo } from "../helpers/cli.ts";
import { temporaryFolder } from "../helpers/model_tree.ts";
import { assertCleanFailure } from "../helpers/pipeline.ts";
import {
  createTestDatabase,
  databaseUrl,
  serverSettings,
  superuserClient,
} from "../helpers/postgres_server.ts";
import { runShortPipeline } from "../helpers/short_pipeline.ts";

/** As a superuser, once: the roles, the database's grants and the schema (the doc's first block). */
function setupSql(names: { database: string; migrator: string; runtime: string }): string {
  return `
    CREATE ROLE ${names.migrator} LOGIN PASSWORD 'migrator-secret';
    CREATE ROLE ${names.runtime} LOGIN PASSWORD 'runtime-secret';
    REVOKE ALL ON DATABASE ${names.database} FROM PUBLIC;
    GRANT CONNECT ON DATABASE ${names.database} TO ${names.migrator}, ${names.runtime};
    REVOKE CREATE ON SCHEMA public FROM PUBLIC;
    CREATE SCHEMA dpo AUTHORIZATION ${names.migrator};
    GRANT USAGE ON SCHEMA dpo TO ${names.runtime};`;
}

/** As the migration role, after every `dpo db upgrade` (the doc's second block). */
function grantSql(runtime: string): string {
  return `
    GRANT SELECT, INSERT, UPDATE
      ON dpo.execution, dpo.execution_step, dpo.execution_step_model TO ${runtime};
    GRANT SELECT ON dpo.schema_migrations TO ${runtime};`;
}

/** Names for this test's two roles; `await using` drops the roles the setup created. */
function roleNames() {
  const suffix = `${Date.now().toString(36)}_${Deno.pid}`;
  const names = { migrator: `dpo_migrator_${suffix}`, runtime: `dpo_runtime_${suffix}` };
  return {
    ...names,
    async [Symbol.asyncDispose]() {
      const admin = superuserClient();
      try {
        await admin.unsafe(`DROP ROLE IF EXISTS ${names.migrator}, ${names.runtime}`);
      } finally {
        await admin.end();
      }
    },
  };
}

Deno.test("a runtime role with only USAGE, SELECT, INSERT and UPDATE runs the whole pipeline, and cannot migrate", async () => {
  // Declared before the database, so that the roles are dropped after it (disposal is reversed).
  await using roles = roleNames();
  await using db = await createTestDatabase();
  await db.sql.unsafe(setupSql({ ...roles, database: db.name }));
  const migratorUrl = databaseUrl(db.name, { user: roles.migrator, password: "migrator-secret" });
  const runtimeUrl = databaseUrl(db.name, { user: roles.runtime, password: "runtime-secret" });

  const upgrade = await runDpo([migratorUrl, "db", "upgrade"]);
  assertEquals([upgrade.code, upgrade.stdout], [0, ""], upgrade.stderr);
  await asRole(db.name, roles.migrator, "migrator-secret", grantSql(roles.runtime));

  const [privileges] = await db.sql`
    select
      has_database_privilege(${roles.runtime}, current_database(), 'CREATE, TEMPORARY') as database,
      has_schema_privilege(${roles.runtime}, 'dpo', 'CREATE') as create_in_dpo,
      has_schema_privilege(${roles.runtime}, 'public', 'CREATE') as create_in_public,
      has_table_privilege(${roles.runtime}, 'dpo.execution', 'DELETE, TRUNCATE') as delete,
      has_table_privilege(${roles.runtime}, 'dpo.schema_migrations', 'INSERT, UPDATE, DELETE')
        as write_versions,
      (select count(*)::int from pg_tables where schemaname = 'dpo'
        and tableowner <> ${roles.migrator}) as not_owned_by_migrator`;
  assertEquals({ ...privileges }, {
    database: false,
    create_in_dpo: false,
    create_in_public: false,
    delete: false,
    write_versions: false,
    not_owned_by_migrator: 0,
  });

  // The runtime role is named by DPO_DATABASE_URL, as docs/security.md recommends.
  const asRuntime = { env: { DPO_DATABASE_URL: runtimeUrl } };
  await using models = await temporaryFolder();
  const ids = await runShortPipeline((args) => runDpo(args, asRuntime), models.path);
  assertMatch(await dpoOk(["db", "current"], asRuntime), /^\d{4}_\w+ \(head\)$/);

  const permissionDenied =
    /^error: Permission denied in postgresql:\/\/dpo_runtime_\w+:\*\*\*@.*must be owner of (table|index) /;
  assertCleanFailure(await runDpo(["db", "downgrade", "-1"], asRuntime), 1, permissionDenied);
  assertMatch(await dpoOk(["db", "current"], asRuntime), /\(head\)$/);

  // One revision behind, the runtime role cannot bring the schema forward either.
  assertEquals(await dpoOk([migratorUrl, "db", "downgrade", "-1"]), "");
  assertCleanFailure(await runDpo(["db", "upgrade"], asRuntime), 1, permissionDenied);
  assertEquals(await dpoOk([migratorUrl, "db", "upgrade"]), "");
  // The migration altered the tables but did not recreate them, so the grants still hold.
  assertEquals(await dpoOk(["get-last-successful-execution"], asRuntime), ids.second);
  const [{ executions }] = await db.sql`select count(*)::int as executions from dpo.execution`;
  assertEquals(executions, 3);
});

async function asRole(database: string, user: string, password: string, sql: string) {
  const { host, port } = serverSettings();
  const client = postgres({ host, port, database, user, password, max: 1, onnotice: () => {} });
  try {
    await client.unsafe(sql);
  } finally {
    await client.end();
  }
}
