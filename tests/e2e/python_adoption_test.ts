/**
 * `db upgrade` on a database the Python DPO left at each of its three alembic revisions: the schema
 * ends exactly as that tool's last revision plus dpo's indexes (at 0002) and the three columns of
 * 0003 (at head), every row moves as its migrations moved them and belongs to the pipeline
 * "default", and change detection continues from its last successful execution.
 */
import { deepStrictEqual as assertEquals, match as assertMatch } from "node:assert/strict";
import { dpoOk, runDpo } from "../helpers/cli.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/postgres_server.ts";
import { temporaryFolder, writeModels } from "../helpers/model_tree.ts";
import {
  createPythonSchema,
  describeDpoSchema,
  type ExecutionRow,
  expectedDpoSchema,
  insertCurrentRows,
  insertOldRows,
  LAST_PYTHON_REVISION,
  type OldExecutionRow,
  PYTHON_REVISIONS,
  type PythonRevision,
  readDpoRows,
  readDpoRowsVerbatim,
} from "../fixtures/python_dpo.ts";

const SECOND = "0002_query_indexes";
const HEAD = "0003_pipelines_and_failures";

async function sha256(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

// The model files of the run dpo makes after adoption: a unchanged, b edited, c deleted, d new.
const NEW_MODEL_FILES = {
  "load/a.sql": "select 1 as a;\n",
  "load/b.sql": "select 2 as b; -- edited\n",
  "load/d.sql": "select 4 as d;\n",
};
const SHA = {
  a: await sha256(NEW_MODEL_FILES["load/a.sql"]),
  newB: await sha256(NEW_MODEL_FILES["load/b.sql"]),
  oldB: await sha256("select 2 as b;\n"),
  c: await sha256("select 3 as c;\n"),
  staleA: await sha256("select 'half-written' as a;\n"),
  t1: await sha256("select * from a join b using (id);\n"),
  t2: await sha256("select * from c;\n"),
};

// A: an older success whose b already matches the new b, so comparing against it would miss b.
// B: the last success. C: a later failed run with a different a, so comparing against it would
// list a. D: initialised only, no models.
const ID = {
  a: "3b241101-e2bb-4255-8caf-4136c566a962",
  b: "9d5ed678-fe57-4cca-b8a5-8f0f5e8f3c11",
  c: "c4ca4238-a0b9-4382-8dcc-509a6f75849b",
  d: "e4da3b7f-bbce-4345-9777-2b0674a318d5",
};
const LAST_SUCCESSFUL = ID.b;

/** The rows as revisions 7d9871ef8afa and fe9eed6d812f wrote them (types as typed: "load"). */
const OLD_EXECUTIONS: OldExecutionRow[] = [
  {
    id: ID.a,
    status: "COMPLETED",
    createdOn: "2024-03-01T08:00:00.100001+00:00",
    lastUpdatedOn: "2024-03-01T08:05:00.200002+00:00",
    executionTimeMs: 300100,
    models: [
      oldModel("load", "a", SHA.a, "2024-03-01T08:00:01.000011+00:00"),
      oldModel("load", "b", SHA.newB, "2024-03-01T08:00:01.000012+00:00"),
      oldModel("transform", "t1", SHA.t1, "2024-03-01T08:02:00.000013+00:00"),
    ],
  },
  {
    id: ID.b,
    status: "COMPLETED",
    createdOn: "2024-03-02T08:00:00.300003+00:00",
    lastUpdatedOn: "2024-03-02T08:06:30.400004+00:00",
    executionTimeMs: 390100,
    models: [
      oldModel("load", "a", SHA.a, "2024-03-02T08:00:02.000021+00:00"),
      oldModel("load", "b", SHA.oldB, "2024-03-02T08:00:02.000022+00:00"),
      oldModel(
        "load",
        "c",
        SHA.c,
        "2024-03-02T08:00:02.000023+00:00",
        "2024-03-02T08:04:10.000024+00:00",
      ),
      oldModel("transform", "t1", SHA.t1, "2024-03-02T08:05:00.000025+00:00"),
      oldModel(
        "transform",
        "t2",
        SHA.t2,
        "2024-03-02T08:05:00.000026+00:00",
        "2024-03-02T08:05:00.000027+00:00",
      ),
    ],
  },
  {
    id: ID.c,
    status: "IN_PROGRESS",
    createdOn: "2024-03-03T08:00:00.500005+00:00",
    lastUpdatedOn: "2024-03-03T08:01:00.600006+00:00",
    executionTimeMs: null,
    models: [oldModel("load", "a", SHA.staleA, "2024-03-03T08:00:03.000031+00:00")],
  },
  {
    id: ID.d,
    status: "INITIALISED",
    createdOn: "2024-03-04T08:00:00.700007+00:00",
    lastUpdatedOn: "2024-03-04T08:00:00.700007+00:00",
    executionTimeMs: null,
    models: [],
  },
];

function oldModel(
  type: string,
  name: string,
  checksum: string,
  createdOn: string,
  lastUpdatedOn = createdOn,
) {
  return { type, name, checksum, createdOn, lastUpdatedOn };
}

/**
 * The rows as revision c5c34dd0b8f2 holds them: A as its own migration carried it up (lower-case
 * step names, status UNKNOWN), then B, C and D as that revision's commands wrote them.
 */
const CURRENT_EXECUTIONS: ExecutionRow[] = [
  {
    id: ID.a,
    status: "COMPLETED",
    createdOn: "2024-03-01T08:00:00.100001+00:00",
    updatedOn: "2024-03-01T08:05:00.200002+00:00",
    startedOn: "2024-03-01T08:00:00.100001+00:00",
    completedOn: "2024-03-01T08:05:00.200002+00:00",
    executionTimeMs: 300100,
    steps: [
      carriedStep("load", [
        ["a", SHA.a, "2024-03-01T08:00:01.000011+00:00"],
        ["b", SHA.newB, "2024-03-01T08:00:01.000012+00:00"],
      ]),
      carriedStep("transform", [["t1", SHA.t1, "2024-03-01T08:02:00.000013+00:00"]]),
    ],
  },
  {
    id: ID.b,
    status: "COMPLETED",
    createdOn: "2024-03-02T08:00:00.300003+00:00",
    updatedOn: "2024-03-02T08:06:30.400004+00:00",
    startedOn: "2024-03-02T08:00:00.300003+00:00",
    completedOn: "2024-03-02T08:06:30.400004+00:00",
    executionTimeMs: 390100,
    steps: [
      {
        stepName: "LOAD",
        status: "COMPLETED",
        createdOn: "2024-03-02T08:00:02.000020+00:00",
        updatedOn: "2024-03-02T08:04:10.000029+00:00",
        startedOn: "2024-03-02T08:00:02.000020+00:00",
        completedOn: "2024-03-02T08:04:10.000029+00:00",
        executionTimeMs: 248000,
        rowsProcessed: 1200,
        models: [
          stepModel("a", SHA.a, "2024-03-02T08:00:02.000021+00:00"),
          stepModel("b", SHA.oldB, "2024-03-02T08:00:02.000022+00:00"),
          stepModel("c", SHA.c, "2024-03-02T08:00:02.000023+00:00"),
        ],
      },
      {
        stepName: "TRANSFORM",
        status: "COMPLETED",
        createdOn: "2024-03-02T08:05:00.000020+00:00",
        updatedOn: "2024-03-02T08:06:30.000029+00:00",
        startedOn: "2024-03-02T08:05:00.000020+00:00",
        completedOn: "2024-03-02T08:06:30.000029+00:00",
        executionTimeMs: 90000,
        rowsProcessed: null,
        models: [
          stepModel("t1", SHA.t1, "2024-03-02T08:05:00.000025+00:00"),
          stepModel("t2", SHA.t2, "2024-03-02T08:05:00.000026+00:00"),
        ],
      },
    ],
  },
  {
    id: ID.c,
    status: "IN_PROGRESS",
    createdOn: "2024-03-03T08:00:00.500005+00:00",
    updatedOn: "2024-03-03T08:01:00.600006+00:00",
    startedOn: "2024-03-03T08:00:00.500005+00:00",
    completedOn: null,
    executionTimeMs: null,
    steps: [{
      stepName: "LOAD",
      status: "IN_PROGRESS",
      createdOn: "2024-03-03T08:00:03.000030+00:00",
      updatedOn: "2024-03-03T08:00:03.000032+00:00",
      startedOn: "2024-03-03T08:00:03.000030+00:00",
      completedOn: null,
      executionTimeMs: null,
      rowsProcessed: null,
      models: [stepModel("a", SHA.staleA, "2024-03-03T08:00:03.000031+00:00")],
    }],
  },
  {
    id: ID.d,
    status: "INITIALISED",
    createdOn: "2024-03-04T08:00:00.700007+00:00",
    updatedOn: "2024-03-04T08:00:00.700007+00:00",
    startedOn: "2024-03-04T08:00:00.700007+00:00",
    completedOn: null,
    executionTimeMs: null,
    steps: [],
  },
];

function stepModel(name: string, checksum: string, createdOn: string) {
  return { name, checksum, createdOn, updatedOn: createdOn };
}

function carriedStep(stepName: string, models: [string, string, string][]) {
  const times = models.map(([, , createdOn]) => createdOn).sort();
  return {
    stepName,
    status: "UNKNOWN",
    createdOn: times[0],
    updatedOn: times.at(-1)!,
    startedOn: times[0],
    completedOn: null,
    executionTimeMs: null,
    rowsProcessed: null,
    models: models.map(([name, checksum, createdOn]) => stepModel(name, checksum, createdOn)),
  };
}

/** A Python-tool database at `revision` holding the executions above. */
async function createPythonDatabase(revision: PythonRevision) {
  const db = await createTestDatabase();
  await createPythonSchema(db.sql, revision);
  if (revision === LAST_PYTHON_REVISION) {
    await insertCurrentRows(db.sql, CURRENT_EXECUTIONS);
  } else {
    await insertOldRows(db.sql, revision, OLD_EXECUTIONS);
  }
  return db;
}

/**
 * What the facts file says c5c34dd0b8f2's migration made of older rows: ids kept, started_on =
 * created_on, updated_on = completed_on = last_updated_on; one UNKNOWN step per (execution, type)
 * spanning its models' times; every model row a step model with its times.
 */
function expectedAdoptedRows(executions: readonly OldExecutionRow[]) {
  const byId = (x: { execution_id: string }, y: { execution_id: string }) =>
    x.execution_id < y.execution_id ? -1 : x.execution_id > y.execution_id ? 1 : 0;
  const steps = [];
  const stepModels = [];
  for (const e of executions) {
    const types = [...new Set(e.models.map((m) => m.type))].sort();
    for (const type of types) {
      const models = e.models.filter((m) => m.type === type);
      const created = models.map((m) => m.createdOn).sort();
      const updated = models.map((m) => m.lastUpdatedOn).sort();
      steps.push({
        execution_id: e.id,
        step_name: type,
        status: "UNKNOWN",
        created_on: created[0],
        updated_on: updated.at(-1)!,
        started_on: created[0],
        completed_on: null,
        execution_time_ms: null,
        rows_processed: null,
      });
      for (const m of [...models].sort((x, y) => x.name < y.name ? -1 : 1)) {
        stepModels.push({
          execution_id: e.id,
          step_name: type,
          model_name: m.name,
          checksum: m.checksum,
          created_on: m.createdOn,
          updated_on: m.lastUpdatedOn,
        });
      }
    }
  }
  return {
    executions: executions.map((e) => ({
      execution_id: e.id,
      created_on: e.createdOn,
      updated_on: e.lastUpdatedOn,
      status: e.status,
      started_on: e.createdOn,
      completed_on: e.lastUpdatedOn,
      execution_time_ms: e.executionTimeMs === null ? null : String(e.executionTimeMs),
    })).sort(byId),
    steps: steps.sort(byId),
    stepModels: stepModels.sort(byId),
  };
}

/**
 * readDpoRowsVerbatim() as it reads at head rows written before 0003: each execution row gains
 * pipeline "default" and an empty failure reason, each step row an empty failure reason.
 */
function withColumnsOf0003(verbatimRows: readonly string[]): string[] {
  return verbatimRows.map((row) =>
    row.startsWith("execution ")
      ? row.replace(/\)$/, ",default,)")
      : row.startsWith("step ")
      ? row.replace(/\)$/, ",)")
      : row
  );
}

/** Every execution's pipeline and failure reason, and every step's failure reason. */
async function pipelinesAndFailureReasons(db: TestDatabase) {
  const executions = await db.sql`SELECT DISTINCT pipeline, failure_reason FROM dpo.execution`;
  const steps = await db.sql`SELECT DISTINCT failure_reason FROM dpo.execution_step`;
  return { executions: [...executions], steps: [...steps] };
}

async function alembicVersions(db: TestDatabase): Promise<string[]> {
  const rows = await db.sql`SELECT version_num FROM public.alembic_version_dpo`;
  return rows.map((row) => row.version_num);
}

for (const revision of PYTHON_REVISIONS) {
  Deno.test(`db upgrade adopts a database the Python DPO left at ${revision}`, async () => {
    await using db = await createPythonDatabase(revision);
    const expectedRows = revision === LAST_PYTHON_REVISION
      ? await readDpoRows(db.sql)
      : expectedAdoptedRows(OLD_EXECUTIONS);
    const rowsBefore = revision === LAST_PYTHON_REVISION ? await readDpoRowsVerbatim(db.sql) : [];

    assertEquals(await runDpo([db.url, "db", "current"]), {
      code: 0,
      stdout: `alembic ${revision} (Python DPO; run "dpo db upgrade" to adopt)\n`,
      stderr: "",
    });

    const upgraded = await runDpo([db.url, "db", "upgrade"]);
    assertEquals([upgraded.code, upgraded.stdout], [0, ""]);
    assertEquals(upgraded.stderr.replace(/^\S+ - dpo - /gm, "").split("\n"), [
      `INFO - Adopted the Python DPO's database at alembic revision ${revision}`,
      `INFO - Applied migration ${SECOND}`,
      `INFO - Applied migration ${HEAD}`,
      "",
    ]);

    assertEquals(await describeDpoSchema(db.sql), await expectedDpoSchema());
    assertEquals(await readDpoRows(db.sql), expectedRows);
    if (revision === LAST_PYTHON_REVISION) {
      assertEquals(await readDpoRowsVerbatim(db.sql), withColumnsOf0003(rowsBefore));
    }
    // Everything the Python tool wrote belongs to the pipeline "default" and failed for no
    // recorded reason.
    assertEquals(await pipelinesAndFailureReasons(db), {
      executions: [{ pipeline: "default", failure_reason: null }],
      steps: [{ failure_reason: null }],
    });
    // The tables are the Python tool's last revision, so its version table says so.
    assertEquals(await alembicVersions(db), [LAST_PYTHON_REVISION]);

    assertEquals(await runDpo([db.url, "db", "current"]), {
      code: 0,
      stdout: `${HEAD} (head)\n`,
      stderr: "",
    });
    const history = await runDpo([db.url, "db", "history"]);
    assertEquals([history.code, history.stderr], [0, ""]);
    assertEquals(history.stdout.replace(/applied \S+/g, "applied <time>").split("\n"), [
      "0001_python_schema  applied <time>  " +
      `(adopted from the Python DPO at alembic revision ${revision})`,
      `${SECOND}  applied <time>`,
      `${HEAD}  applied <time>`,
      "",
    ]);

    // Reverting 0003 leaves the Python tool's last schema exactly, with the same rows.
    assertEquals(await dpoOk([db.url, "db", "downgrade", "0002"]), "");
    assertEquals(await describeDpoSchema(db.sql), await expectedDpoSchema("0002"));
    assertEquals(await readDpoRows(db.sql), expectedRows);
    if (revision === LAST_PYTHON_REVISION) {
      assertEquals(await readDpoRowsVerbatim(db.sql), rowsBefore);
    }
  });

  Deno.test(`db upgrade again on a database adopted from ${revision} changes nothing`, async () => {
    await using db = await createPythonDatabase(revision);
    await dpoOk([db.url, "db", "upgrade"]);
    const rowsAfterAdoption = await readDpoRowsVerbatim(db.sql);
    const migrationsAfterAdoption = await db
      .sql`SELECT version, applied_on::text, note FROM dpo.schema_migrations ORDER BY 1`;

    const again = await runDpo([db.url, "db", "upgrade"]);
    assertEquals([again.code, again.stdout], [0, ""]);
    assertMatch(
      again.stderr,
      /^\S+ - dpo - INFO - The database is already at the requested revision\n$/,
    );

    assertEquals(await readDpoRowsVerbatim(db.sql), rowsAfterAdoption);
    assertEquals(
      await db.sql`SELECT version, applied_on::text, note FROM dpo.schema_migrations ORDER BY 1`,
      migrationsAfterAdoption,
    );
    assertEquals(await describeDpoSchema(db.sql), await expectedDpoSchema());
    assertEquals(await alembicVersions(db), [LAST_PYTHON_REVISION]);
  });

  Deno.test(
    `a dpo run after adopting ${revision} compares against the Python tool's last success`,
    async () => {
      await using db = await createPythonDatabase(revision);
      await using models = await temporaryFolder();
      await writeModels(models.path, NEW_MODEL_FILES);
      await dpoOk([db.url, "db", "upgrade"]);

      assertEquals(await dpoOk([db.url, "get-last-successful-execution"]), LAST_SUCCESSFUL);
      assertEquals(
        await dpoOk([db.url, "get-execution-completion-timestamp", LAST_SUCCESSFUL]),
        "2024-03-02T08:06:30.400004+00:00",
      );
      const executionId = await dpoOk([db.url, "init-execution"]);
      const stepId = await dpoOk([
        db.url,
        "init-step",
        executionId,
        "load",
        models.path,
        "load/*.sql",
      ]);
      const [{ step_name: stepName }] = await db
        .sql`SELECT step_name FROM dpo.execution_step WHERE execution_step_id = ${stepId}`;
      assertEquals(stepName, "LOAD");

      // The old step is named "load" (or "LOAD" at c5c34dd0b8f2); c was deleted, so is not listed.
      assertEquals(
        await runDpo([db.url, "compare-step-models", stepId, LAST_SUCCESSFUL, "--separator", ","]),
        { code: 0, stdout: "b,d\n", stderr: "" },
      );
      assertEquals(await runDpo([db.url, "compare-step-models", stepId, LAST_SUCCESSFUL]), {
        code: 0,
        stdout: "b d\n",
        stderr: "",
      });
      assertEquals(
        await runDpo([db.url, "compare-models", LAST_SUCCESSFUL, executionId, "load"]),
        { code: 0, stdout: "b d\n", stderr: "" },
      );

      await dpoOk([db.url, "complete-step", stepId]);
      await dpoOk([db.url, "complete-execution", executionId]);
      assertEquals(await dpoOk([db.url, "get-last-successful-execution"]), executionId);

      // The Python tool's runs are the history of the pipeline "default", and of no other.
      const history = JSON.parse(await dpoOk([db.url, "--format", "json", "executions"]));
      assertEquals(
        history.map((e: Record<string, unknown>) => [e.execution_id, e.pipeline, e.status]),
        [
          [executionId, "default", "COMPLETED"],
          [ID.d, "default", "INITIALISED"],
          [ID.c, "default", "IN_PROGRESS"],
          [ID.b, "default", "COMPLETED"],
          [ID.a, "default", "COMPLETED"],
        ],
      );
      assertEquals(
        await dpoOk([db.url, "--pipeline", "other", "get-last-successful-execution"]),
        "NO_LAST_SUCCESSFUL_EXECUTION",
      );

      // The Python tool never names the new columns, and what it writes still lands in "default".
      const pythonRun = "a87ff679-a2f3-471d-8b8e-7c3d8c6f0f7a";
      await insertCurrentRows(db.sql, [{
        id: pythonRun,
        status: "COMPLETED",
        createdOn: "2999-01-01T08:00:00.000001+00:00",
        updatedOn: "2999-01-01T08:10:00.000002+00:00",
        startedOn: "2999-01-01T08:00:00.000001+00:00",
        completedOn: "2999-01-01T08:10:00.000002+00:00",
        executionTimeMs: 600000,
        steps: [],
      }]);
      assertEquals(await dpoOk([db.url, "get-last-successful-execution"]), pythonRun);
    },
  );
}

Deno.test("db upgrade 0001 then 0002 adopts a Python DPO database and keeps its schema exactly", async () => {
  await using db = await createPythonDatabase("7d9871ef8afa");
  assertEquals(await dpoOk([db.url, "db", "upgrade", "0001"]), "");
  assertEquals(await dpoOk([db.url, "db", "current"]), "0001_python_schema");
  assertEquals(await readDpoRows(db.sql), expectedAdoptedRows(OLD_EXECUTIONS));
  assertEquals(await describeDpoSchema(db.sql), await expectedDpoSchema("0001"));

  assertEquals(await dpoOk([db.url, "db", "upgrade", "0002"]), "");
  assertEquals(await dpoOk([db.url, "db", "current"]), SECOND);
  assertEquals(await describeDpoSchema(db.sql), await expectedDpoSchema("0002"));
  assertEquals(await readDpoRows(db.sql), expectedAdoptedRows(OLD_EXECUTIONS));

  assertEquals(await dpoOk([db.url, "db", "upgrade"]), "");
  assertEquals(await describeDpoSchema(db.sql), await expectedDpoSchema());
  assertEquals(await readDpoRows(db.sql), expectedAdoptedRows(OLD_EXECUTIONS));
  assertEquals(await pipelinesAndFailureReasons(db), {
    executions: [{ pipeline: "default", failure_reason: null }],
    steps: [{ failure_reason: null }],
  });
  const history = (await dpoOk([db.url, "db", "history"])).split("\n");
  assertMatch(history[0], /\(adopted from the Python DPO at alembic revision 7d9871ef8afa\)$/);
});

Deno.test("db upgrade refuses an alembic revision the Python DPO never had", async () => {
  await using db = await createPythonDatabase("fe9eed6d812f");
  await db.sql`UPDATE public.alembic_version_dpo SET version_num = '0123456789ab'`;
  const rowsBefore = await db.sql`SELECT e::text FROM dpo.execution_model e ORDER BY id`;

  const result = await runDpo([db.url, "db", "upgrade"]);
  assertEquals(result.code, 1);
  assertEquals(result.stdout, "");
  assertEquals(
    result.stderr,
    'error: The database is at alembic revision "0123456789ab", which the Python DPO never had: ' +
      "restore its schema or use an empty database\n",
  );
  const [{ tables }] = await db.sql`SELECT array_agg(tablename::text ORDER BY tablename) AS tables
    FROM pg_tables WHERE schemaname = 'dpo'`;
  assertEquals(tables, ["execution", "execution_model"]);
  assertEquals(await db.sql`SELECT e::text FROM dpo.execution_model e ORDER BY id`, rowsBefore);
});
