/**
 * Faults while dpo works: the server stopped in the middle of init-step's write and while dpo
 * connects (on a cluster of this file's own, started and stopped here), SIGINT and SIGTERM in
 * the middle of init-step on both stores, and a row lock held past --statement-timeout. Each
 * time dpo exits with its code and one clear line, nothing partial is stored, and the store
 * takes the same command afterwards.
 */
import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import postgres from "postgres";
import { type CliResult, dpoOk, runDpo, type RunningDpo, startDpo } from "../helpers/cli.ts";
import { temporaryFolder, writeModels } from "../helpers/model_tree.ts";
import {
  assertCleanFailure,
  openStoreUnderTest,
  snapshotTables,
  type StoreUnderTest,
} from "../helpers/pipeline.ts";

const PG_CLUSTER = decodeURIComponent(
  new URL("../../scripts/pg_cluster.sh", import.meta.url).pathname,
);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** Files in the large step: above hash_pool.ts's threshold, so workers hash them. */
const LARGE_STEP_FILES = 20_000;
/** A sparse file that takes a second or more to hash: a wide window for a signal mid-hash. */
const SLOW_FILE_BYTES = 512 * 1024 * 1024;

const decoder = new TextDecoder();

/** Polls `condition` every 20 ms until it holds; fails if `dpo` exits first or time runs out. */
async function waitUntil(
  what: string,
  condition: () => boolean | Promise<boolean>,
  { dpo, timeoutMs = 30_000 }: { dpo?: RunningDpo; timeoutMs?: number },
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!await condition()) {
    if (dpo?.exited()) {
      const result = await dpo.result;
      throw new Error(`dpo exited ${result.code} before ${what}: ${result.stderr}`);
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** True while process `pid` has `path` open: dpo is hashing that file. */
function hasOpen(pid: number, path: string): boolean {
  try {
    for (const entry of Deno.readDirSync(`/proc/${pid}/fd`)) {
      try {
        if (Deno.readLinkSync(`/proc/${pid}/fd/${entry.name}`) === path) return true;
      } catch {
        // Closed since the listing.
      }
    }
  } catch {
    // The process has exited.
  }
  return false;
}

/** SQL that counts dpo sessions waiting for a lock in the INSERT of a step's models. */
const MODEL_INSERT_WAITING = `SELECT count(*)::int AS waiting FROM pg_stat_activity
  WHERE datname = current_database() AND application_name LIKE 'dpo/%'
    AND wait_event_type = 'Lock' AND query LIKE '%INSERT INTO dpo.execution_step_model%'`;

async function runQuietly(program: string, args: string[], options: { cwd?: string } = {}) {
  const output = await new Deno.Command(program, { args, ...options, stdin: "null" }).output();
  if (!output.success) {
    throw new Error(`${program} ${args.join(" ")} failed: ${decoder.decode(output.stderr)}`);
  }
  return decoder.decode(output.stdout);
}

/**
 * A PostgreSQL cluster of this file's own (scripts/pg_cluster.sh in a temporary folder), which
 * the tests stop and start again on the same port. `await using` stops and deletes it.
 */
class DedicatedServer {
  readonly dir: string;
  readonly settings: Record<string, string>;

  private constructor(dir: string, settings: Record<string, string>) {
    this.dir = dir;
    this.settings = settings;
  }

  static async start(): Promise<DedicatedServer> {
    const dir = await Deno.makeTempDir({ prefix: "dpo-faults-" });
    // pg_cluster.sh hands the folder to the postgres user when run as root; it must be reachable.
    await Deno.chmod(dir, 0o755);
    try {
      await runQuietly(PG_CLUSTER, ["start", dir]);
    } catch (error) {
      await Deno.remove(dir, { recursive: true }).catch(() => {});
      throw error;
    }
    const settings = Object.fromEntries(
      (await Deno.readTextFile(`${dir}/env`)).split("\n").filter((line) => line.includes("="))
        .map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)]),
    );
    return new DedicatedServer(dir, settings);
  }

  url(database: string): string {
    const { DPO_TEST_PG_SUPERUSER: user, DPO_TEST_PG_PASSWORD: password } = this.settings;
    return `postgresql://${user}:${password}@${this.settings.DPO_TEST_PG_HOST}:${this.port}/${database}`;
  }

  get port(): string {
    return this.settings.DPO_TEST_PG_PORT;
  }

  /** A superuser client; end it before stopping the server. */
  client(database: string): postgres.Sql {
    return postgres(this.url(database), { max: 1, onnotice: () => {} });
  }

  /** pg_ctl as the cluster's owner: root hands it to the postgres user, as pg_cluster.sh does. */
  #pgCtl(args: string[]): Promise<string> {
    const pgCtl = `${this.settings.DPO_TEST_PG_BIN}/pg_ctl`;
    const fullArgs = ["-D", `${this.dir}/data`, ...args];
    return Deno.uid() === 0
      ? runQuietly("runuser", ["-u", "postgres", "--", pgCtl, ...fullArgs], { cwd: this.dir })
      : runQuietly(pgCtl, fullArgs, { cwd: this.dir });
  }

  stop(mode: "immediate" | "fast"): Promise<string> {
    return this.#pgCtl(["-m", mode, "-w", "-t", "60", "stop"]);
  }

  /** Starts the server again on its port (pg_cluster.sh start would pick a new one). */
  restart(): Promise<string> {
    return this.#pgCtl(["-l", `${this.dir}/server.log`, "-o", `-p ${this.port}`, "-w", "start"]);
  }

  /** Starts the server again unless it runs: a failed step may have left it stopped. */
  async ensureRunning(): Promise<void> {
    try {
      await this.#pgCtl(["status"]);
    } catch {
      await this.restart();
    }
  }

  /** A psql session as the superuser running `commands` (one -c each), in the background. */
  psql(database: string, commands: string[]): Deno.ChildProcess {
    return new Deno.Command(`${this.settings.DPO_TEST_PG_BIN}/psql`, {
      args: [
        "-X",
        "-q",
        "-h",
        this.settings.DPO_TEST_PG_HOST,
        "-p",
        this.port,
        "-U",
        this.settings.DPO_TEST_PG_SUPERUSER,
        "-d",
        database,
        ...commands.flatMap((command) => ["-c", command]),
      ],
      env: { PGPASSWORD: this.settings.DPO_TEST_PG_PASSWORD },
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    try {
      await runQuietly(PG_CLUSTER, ["stop", this.dir]);
    } finally {
      await Deno.remove(this.dir, { recursive: true });
    }
  }
}

/**
 * Writes `count` small model files `m00000.sql`… under `folder`. Synchronously: thousands of
 * async writes are slow under the test runner's op sanitizer.
 */
function writeManyModels(folder: string, count: number): void {
  Deno.mkdirSync(folder, { recursive: true });
  for (let i = 0; i < count; i++) {
    const name = `m${String(i).padStart(5, "0")}`;
    Deno.writeTextFileSync(`${folder}/${name}.sql`, `select '${name}';\n`);
  }
}

/** Adds a sparse file of SLOW_FILE_BYTES, first in hashing order; returns its path. */
async function addSlowFile(folder: string): Promise<string> {
  const path = `${folder}/000_slow.sql`;
  using file = await Deno.open(path, { create: true, write: true });
  await file.truncate(SLOW_FILE_BYTES);
  return path;
}

const LOST_CONNECTION =
  /^error: The connection to PostgreSQL at postgresql:\/\/postgres:\*\*\*@127\.0\.0\.1:\d+\/faults was lost during the command \(.*\): what dpo had not committed was rolled back; run the command again once the server is back$/;

Deno.test("with its server stopped mid-write or down while connecting, dpo exits 1 with one error line, stores nothing partial and succeeds once the server is back", async (t) => {
  await using server = await DedicatedServer.start();
  await using models = await temporaryFolder();
  const url = server.url("faults");
  {
    const admin = server.client("postgres");
    await admin.unsafe("CREATE DATABASE faults");
    await admin.end();
  }
  await dpoOk([url, "db", "upgrade"]);
  writeManyModels(models.path, LARGE_STEP_FILES);

  await t.step(
    `stopped (immediate) while init-step inserts ${LARGE_STEP_FILES} models`,
    async () => {
      const executionId = await dpoOk([url, "init-execution"]);
      let sql = server.client("faults");
      const before = await snapshotTables(async (query) => [...await sql.unsafe(query)]);
      // A session holding a SHARE lock on the models table holds dpo's INSERT in the middle of its
      // transaction (the step row written, the models being written) for as long as needed.
      const holder = server.psql("faults", [
        "BEGIN",
        "LOCK TABLE dpo.execution_step_model IN SHARE MODE",
        "SELECT pg_sleep(600)",
      ]);
      try {
        const dpo = startDpo([url, "init-step", executionId, "LOAD", models.path, "*.sql"]);
        await waitUntil("dpo's model INSERT waits", async () => {
          const [{ waiting }] = await sql.unsafe(MODEL_INSERT_WAITING);
          return waiting === 1;
        }, { dpo });
        await sql.end();
        await server.stop("immediate");
        assertCleanFailure(await dpo.result, 1, LOST_CONNECTION);
      } finally {
        try {
          holder.kill();
        } catch {
          // psql exits by itself when the server stops.
        }
        await holder.status;
      }

      await server.restart();
      sql = server.client("faults");
      try {
        // Crash recovery kept nothing of the transaction: no step, no model, the same status.
        assertEquals(await snapshotTables(async (query) => [...await sql.unsafe(query)]), before);
        const stepId = await dpoOk([url, "init-step", executionId, "LOAD", models.path, "*.sql"]);
        const [stored] = await sql`SELECT e.status,
        (SELECT count(*) FROM dpo.execution_step s WHERE s.execution_id = e.execution_id)::int
          AS steps,
        (SELECT count(*) FROM dpo.execution_step_model m
          WHERE m.execution_step_id = ${stepId})::int AS models
        FROM dpo.execution e WHERE e.execution_id = ${executionId}`;
        assertEquals({ ...stored }, { status: "IN_PROGRESS", steps: 1, models: LARGE_STEP_FILES });
      } finally {
        await sql.end();
      }
    },
  );

  await t.step(
    "down when init-execution starts, up 2 s later: it retries and succeeds",
    async () => {
      await server.ensureRunning();
      await server.stop("fast");
      const dpo = startDpo([url, "init-execution", "--connect-timeout", "20"]);
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      await server.restart();
      const result = await dpo.result;
      assertEquals(result.code, 0, result.stderr);
      const executionId = result.stdout.trim();
      assert(UUID.test(executionId), result.stdout);
      const logLines = result.stderr.trimEnd().split("\n");
      assertEquals(logLines.length, 1, result.stderr);
      assert(
        / - dpo - WARNING - PostgreSQL at .* is not available yet \(.*\): retrying for up to 20 s$/
          .test(logLines[0]),
        logLines[0],
      );
      const sql = server.client("faults");
      try {
        const rows =
          await sql`SELECT status FROM dpo.execution WHERE execution_id = ${executionId}`;
        assertEquals(rows.map((row) => row.status), ["INITIALISED"]);
      } finally {
        await sql.end();
      }
    },
  );

  await t.step(
    "kept down: init-execution gives up after --connect-timeout with one error line",
    async () => {
      await server.ensureRunning();
      await server.stop("fast");
      const result = await runDpo([url, "init-execution", "--connect-timeout", "3"]);
      const exitedAt = Date.now();
      assertEquals([result.code, result.stdout], [1, ""]);
      const [warning, error, ...rest] = result.stderr.split("\n");
      assertEquals(rest, [""], result.stderr);
      const retrying = warning.match(
        /^(\S+) - dpo - WARNING - PostgreSQL at .* is not available yet \(connect ECONNREFUSED .*\): retrying for up to 3 s$/,
      );
      assert(retrying, warning);
      assert(
        /^error: Cannot connect to PostgreSQL at .*: connection refused; check that the server is running and the URL's host and port$/
          .test(error),
        error,
      );
      // From the first refused attempt to the exit: the bound, and not much more.
      const seconds = (exitedAt - Date.parse(retrying[1])) / 1000;
      assert(seconds > 2.5 && seconds < 6, `retried for ${seconds} s`);
      await server.restart();
    },
  );
});

/** Every row of dpo's tables in `store`. */
function snapshotOf(store: StoreUnderTest): Promise<string> {
  return snapshotTables(store.rows);
}

const INTERRUPTED = {
  SIGINT: { code: 130, line: "error: interrupted by SIGINT: any unfinished write was rolled back" },
  SIGTERM: {
    code: 143,
    line: "error: interrupted by SIGTERM: any unfinished write was rolled back",
  },
} as const;

/** Exit code 130 or 143, nothing on stdout and main.ts's one line on stderr. */
function assertInterrupted(result: CliResult, signal: "SIGINT" | "SIGTERM"): void {
  assertEquals(result, {
    code: INTERRUPTED[signal].code,
    stdout: "",
    stderr: `${INTERRUPTED[signal].line}\n`,
  });
}

Deno.test("SIGINT while init-step writes on PostgreSQL exits 130 and the transaction is rolled back", async () => {
  await using store = await openStoreUnderTest("PostgreSQL");
  await using models = await temporaryFolder();
  await writeModels(models.path, { "a.sql": "a\n", "b.sql": "b\n" });
  const executionId = await dpoOk([...store.args, "init-execution"]);
  const before = await snapshotOf(store);
  const initStep = [...store.args, "init-step", executionId, "LOAD", models.path, "*.sql"];
  const url = store.args[0];
  const holder = postgres(url, { max: 1, onnotice: () => {} });
  const monitor = postgres(url, { max: 1, onnotice: () => {} });
  const release = Promise.withResolvers<void>();
  const locked = Promise.withResolvers<void>();
  const holding = holder.begin(async (tx) => {
    await tx`LOCK TABLE dpo.execution_step_model IN SHARE MODE`;
    locked.resolve();
    await release.promise;
  });
  try {
    await locked.promise;
    const dpo = startDpo(initStep);
    await waitUntil("dpo's model INSERT waits", async () => {
      const [{ waiting }] = await monitor.unsafe(MODEL_INSERT_WAITING);
      return waiting === 1;
    }, { dpo });
    dpo.kill("SIGINT");
    assertInterrupted(await dpo.result, "SIGINT");
  } finally {
    release.resolve();
    await holding;
    await holder.end();
  }
  // The server ends the abandoned transaction once the INSERT gets its lock and finds no client.
  await waitUntil("the abandoned session is gone", async () => {
    const [{ sessions }] = await monitor`SELECT count(*)::int AS sessions FROM pg_stat_activity
      WHERE datname = current_database() AND application_name LIKE 'dpo/%'`;
    return sessions === 0;
  }, { timeoutMs: 10_000 });
  await monitor.end();
  assertEquals(await snapshotOf(store), before);
  assert(UUID.test(await dpoOk(initStep)));
});

for (
  const { kind, signal, files } of [
    { kind: "PostgreSQL", signal: "SIGTERM", files: 2 },
    { kind: "SQLite", signal: "SIGINT", files: 2 },
    { kind: "SQLite", signal: "SIGTERM", files: 2_500 },
  ] as const
) {
  const hasher = files < 2_000 ? "on dpo's main thread" : "in worker threads";
  Deno.test(`${signal} while init-step hashes ${hasher} on ${kind} exits ${INTERRUPTED[signal].code}, stores nothing and leaves the store usable`, async () => {
    await using store = await openStoreUnderTest(kind);
    await using models = await temporaryFolder();
    writeManyModels(models.path, files);
    const slowFile = await addSlowFile(models.path);
    const executionId = await dpoOk([...store.args, "init-execution"]);
    const before = await snapshotOf(store);
    const initStep = [...store.args, "init-step", executionId, "LOAD", models.path, "*.sql"];

    const dpo = startDpo(initStep);
    await waitUntil("dpo hashes the slow file", () => hasOpen(dpo.pid, slowFile), { dpo });
    dpo.kill(signal);
    assertInterrupted(await dpo.result, signal);

    // The next command on the same store works and shows no step.
    const shown = JSON.parse(
      await dpoOk([...store.args, "executions", "show", executionId, "--format", "json"]),
    );
    assertEquals([shown.status, shown.steps], ["INITIALISED", []]);
    assertEquals(await snapshotOf(store), before);
    await Deno.remove(slowFile);
    const stepId = await dpoOk(initStep);
    const [{ models: stored }] = await store.rows(
      `SELECT CAST(count(*) AS integer) AS models FROM dpo.execution_step_model
       WHERE execution_step_id = '${stepId}'`,
    );
    assertEquals(stored, files);
  });
}

Deno.test("a row lock held past --statement-timeout fails the command within seconds with one line naming the timeout, and nothing is written", async () => {
  await using store = await openStoreUnderTest("PostgreSQL");
  await using models = await temporaryFolder();
  await writeModels(models.path, { "a.sql": "a\n" });
  const executionId = await dpoOk([...store.args, "init-execution"]);
  const before = await snapshotOf(store);
  const holder = postgres(store.args[0], { max: 1, onnotice: () => {} });
  const release = Promise.withResolvers<void>();
  const locked = Promise.withResolvers<void>();
  const holding = holder.begin(async (tx) => {
    await tx`SELECT 1 FROM dpo.execution WHERE execution_id = ${executionId} FOR UPDATE`;
    locked.resolve();
    await release.promise;
  });
  const timedOut =
    /^error: PostgreSQL at .* cancelled a statement that ran longer than --statement-timeout \(1 s\): canceling statement due to (statement|lock) timeout; another session may hold a lock dpo needs: let it finish, or raise --statement-timeout$/;
  try {
    await locked.promise;
    for (
      const command of [
        ["init-step", executionId, "LOAD", models.path, "*.sql"],
        ["complete-execution", executionId],
      ]
    ) {
      const started = Date.now();
      const result = await runDpo([...store.args, ...command, "--statement-timeout", "1"]);
      const seconds = (Date.now() - started) / 1000;
      assertCleanFailure(result, 1, timedOut);
      assert(seconds < 5, `${command[0]} took ${seconds} s`);
    }
  } finally {
    release.resolve();
    await holding;
    await holder.end();
  }
  assertEquals(await snapshotOf(store), before);
  assert(
    UUID.test(await dpoOk([...store.args, "init-step", executionId, "LOAD", models.path, "*.sql"])),
  );
});
