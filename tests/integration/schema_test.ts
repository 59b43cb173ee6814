/**
 * The db workflows in-process on PostgreSQL and SQLite (service/schema.ts): upgrade from an empty
 * database, where the schema stands, its history, downgrade by revision or steps, unknown
 * revisions.
 */
import {
  deepStrictEqual as assertEquals,
  match as assertMatch,
  rejects as assertRejects,
} from "node:assert/strict";
import { UsageError } from "../../src/errors.ts";
import {
  downgradeSchema,
  schemaHistory,
  schemaRevision,
  upgradeSchema,
} from "../../src/service/schema.ts";
import { openIntegrationStore, recordingLog, STORE_KINDS } from "../helpers/integration_store.ts";
import { ISO_TIMESTAMP } from "../helpers/pipeline.ts";

const REVISIONS = ["0001_python_schema", "0002_query_indexes", "0003_pipelines_and_failures"];

for (const kind of STORE_KINDS) {
  Deno.test(`upgradeSchema() applies each migration once, and schemaRevision() and schemaHistory() say where the schema stands, on ${kind}`, async () => {
    await using opened = await openIntegrationStore(kind, { migrated: false });
    const { store } = opened;
    const log = recordingLog();
    assertEquals(await schemaRevision(store), { revision: null, isHead: false });
    assertEquals(
      (await schemaHistory(store)).map((r) => [r.name, r.appliedOn, r.note]),
      REVISIONS.map((name) => [name, null, null]),
    );
    assertEquals(await upgradeSchema(store, "0002_query_indexes", log), REVISIONS.slice(0, 2));
    assertEquals(await schemaRevision(store), { revision: REVISIONS[1], isHead: false });
    assertEquals(await upgradeSchema(store, "head", log), [REVISIONS[2]]);
    assertEquals(await upgradeSchema(store, "head", log), []);
    assertEquals(log.infos.at(-1), "The database is already at the requested revision");
    assertEquals(await schemaRevision(store), { revision: REVISIONS[2], isHead: true });
    const history = await schemaHistory(store);
    assertEquals(history.map((r) => [r.name, r.note]), REVISIONS.map((name) => [name, null]));
    for (const revision of history) assertMatch(String(revision.appliedOn), ISO_TIMESTAMP);
  });

  Deno.test(`downgradeSchema() reverts to a revision, by steps or to base, and both refuse an unknown revision, on ${kind}`, async () => {
    await using opened = await openIntegrationStore(kind);
    const { store } = opened;
    const log = recordingLog();
    assertEquals(await downgradeSchema(store, "0002_query_indexes", log), [REVISIONS[2]]);
    assertEquals((await schemaRevision(store)).revision, REVISIONS[1]);
    assertEquals(await downgradeSchema(store, "-1", log), [REVISIONS[1]]);
    assertEquals(await downgradeSchema(store, "base", log), [REVISIONS[0]]);
    assertEquals(await schemaRevision(store), { revision: null, isHead: false });
    for (const attempt of [upgradeSchema, downgradeSchema]) {
      await assertRejects(
        attempt(store, "0009_nope", log),
        (error: Error) =>
          error instanceof UsageError &&
          error.message.startsWith('Revision "0009_nope" is not known to db '),
      );
    }
    assertEquals(await upgradeSchema(store, "head", log), REVISIONS);
  });
}
