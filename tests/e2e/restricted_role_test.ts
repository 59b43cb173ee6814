/**
 * The Python tool's CI ran as a role that may only connect to its database and create in it;
 * dpo must migrate and run a whole pipeline as such a role, needing no extension and no grant
 * on the public schema (PostgreSQL 15 gives PUBLIC none).
 */
import { deepStrictEqual as assertEquals, match as assertMatch } from "node:assert/strict";
import { dpoOk, runDpo } from "../helpers/cli.ts";
import { temporaryFolder, writeModels } from "../helpers/model_tree.ts";
import { createTestDatabase, databaseUrl } from "../helpers/postgres_server.ts";
import { createTestRole, ISO_TIMESTAMP } from "../helpers/pipeline.ts";

Deno.test("a role that may only CONNECT and CREATE on its database runs db upgrade and two pipeline executions as itself", async () => {
  // Disposed in reverse: the database (and the role's objects in it) goes first, then the role.
  await using role = await createTestRole();
  await using db = await createTestDatabase();
  await db.sql.unsafe(`GRANT CONNECT, CREATE ON DATABASE ${db.name} TO ${role.name}`);
  const [privileges] = await db.sql`
    select has_database_privilege(${role.name}, current_database(), 'CREATE') as create_database,
      has_schema_privilege(${role.name}, 'public', 'CREATE') as create_public,
      (select rolsuper or rolcreatedb or rolcreaterole from pg_roles
        where rolname = ${role.name}) as elevated`;
  assertEquals({ ...privileges }, {
    create_database: true,
    create_public: false,
    elevated: false,
  });

  await using models = await temporaryFolder();
  await writeModels(models.path, { "a.sql": "select 1;\n", "b/b.csv": "b\n" });
  const url = databaseUrl(db.name, { user: role.name, password: role.password });
  const upgrade = await runDpo([url, "db", "upgrade"]);
  assertEquals([upgrade.code, upgrade.stdout], [0, ""], upgrade.stderr);
  assertMatch(upgrade.stderr, / - dpo - INFO - Applied migration 0001_python_schema\n/);
  assertMatch(await dpoOk([url, "db", "current"]), /^\d{4}_\w+ \(head\)$/);

  const run1 = await dpoOk([url, "init-execution"]);
  const load1 = await dpoOk([url, "init-step", run1, "LOAD", models.path, "**/*.sql", "**/*.csv"]);
  assertEquals(await dpoOk([url, "compare-step-models", load1, ""]), "a b");
  assertEquals(await dpoOk([url, "complete-step", load1, "-r", "42"]), "");
  assertEquals(await dpoOk([url, "complete-execution", run1]), "");
  assertEquals(await dpoOk([url, "get-last-successful-execution"]), run1);
  assertMatch(await dpoOk([url, "get-execution-completion-timestamp", run1]), ISO_TIMESTAMP);

  await writeModels(models.path, { "b/b.csv": "b\nB\n" });
  const run2 = await dpoOk([url, "init-execution"]);
  const load2 = await dpoOk([url, "init-step", run2, "load", models.path, "**/*.sql", "**/*.csv"]);
  assertEquals(await dpoOk([url, "compare-step-models", load2, run1]), "b");
  assertEquals(await dpoOk([url, "complete-step", load2]), "");
  assertEquals(await dpoOk([url, "complete-execution", run2]), "");
  assertEquals(await dpoOk([url, "get-last-successful-execution"]), run2);

  const owners = await db.sql`
    select distinct tableowner::text as owner from pg_tables where schemaname = 'dpo'`;
  assertEquals(owners.map((row) => row.owner), [role.name]);
  const [{ extensions }] = await db.sql`
    select count(*)::int as extensions from pg_extension where extname <> 'plpgsql'`;
  assertEquals(extensions, 0);
});
