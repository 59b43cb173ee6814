/**
 * dpo under a fleet: N build agents, each one whole two-step pipeline execution through the CLI,
 * against PostgreSQL directly and through PgBouncer in transaction mode. Checks afterwards that
 * every execution, step and checksum was stored exactly once and every comparison was right,
 * and prints one Markdown table. Run through `deno task load` (scripts/load.sh starts a server
 * with max_connections = 20 and a PgBouncer with a pool of 4 in front of it).
 *
 *   deno run -A scripts/load.ts [--agents 16,64,128] [--paths direct,pgbouncer]
 *                               [--connect-timeout 300]
 *
 * A seed execution runs first, alone and untimed, so that every agent has a previous execution
 * to compare against; then all N agents start at once, each its own chain of dpo processes.
 */
import postgres from "postgres";
import {
  checkFleet,
  type DpoOutput,
  postgresFleetStore,
  runFleet,
  writeFleetModels,
} from "./lib/fleet.ts";
import { runCaptured } from "./lib/captured_command.ts";
import { MAIN } from "./lib/repo_paths.ts";

const PATHS = ["direct", "pgbouncer"] as const;
type Path = typeof PATHS[number];

function required(name: string): string {
  const value = Deno.env.get(name);
  if (!value) throw new Error(`${name} is not set: run this through scripts/load.sh`);
  return value;
}

const server = {
  host: required("DPO_TEST_PG_HOST"),
  port: Number(required("DPO_TEST_PG_PORT")),
  user: required("DPO_TEST_PG_SUPERUSER"),
  password: required("DPO_TEST_PG_PASSWORD"),
};
const bouncerPort = Number(required("DPO_TEST_PGBOUNCER_PORT"));
const args = parseArgs(Deno.args);

function parseArgs(argv: readonly string[]) {
  const value = (name: string, fallback: string) => {
    const index = argv.indexOf(name);
    return index === -1 ? fallback : argv[index + 1];
  };
  const paths = value("--paths", PATHS.join(",")).split(",");
  for (const path of paths) {
    if (!(PATHS as readonly string[]).includes(path)) throw new Error(`unknown path "${path}"`);
  }
  return {
    agents: value("--agents", "16,64,128").split(",").map(Number),
    paths: paths as Path[],
    connectTimeout: value("--connect-timeout", "300"),
  };
}

function url(path: Path, database: string): string {
  const port = path === "direct" ? server.port : bouncerPort;
  return `postgresql://${server.user}:${
    encodeURIComponent(server.password)
  }@${server.host}:${port}/${database}`;
}

/** One dpo command as a subprocess. */
async function dpo(
  target: string,
  args: readonly string[],
  env: Record<string, string> = {},
): Promise<DpoOutput> {
  return await runCaptured(Deno.execPath(), ["run", "-A", "--quiet", MAIN, target, ...args], {
    env: { DPO_DATABASE_URL: "", DPO_PIPELINE: "", ...env },
  });
}

/** A superuser client for setting up and checking, closed before the agents run. */
async function withAdmin<T>(database: string, work: (sql: postgres.Sql) => Promise<T>) {
  const sql = postgres({ ...server, database, max: 1, onnotice: () => {} });
  try {
    return await work(sql);
  } finally {
    await sql.end();
  }
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

interface Row {
  agents: number;
  path: Path;
  seconds: number;
  p50: number;
  p99: number;
  commands: number;
  retried: number;
  /** Commands that exited non-zero or printed something unexpected. */
  failed: string[];
  /** What the exactly-once check found wrong in the database. */
  problems: string[];
}

async function measure(agents: number, path: Path, modelsRoot: string): Promise<Row> {
  const database = `dpo_load_${agents}_${path}_${Date.now().toString(36)}`;
  await withAdmin("postgres", (sql) => sql.unsafe(`CREATE DATABASE ${database}`));
  try {
    const target = url(path, database);
    const upgrade = await dpo(target, ["db", "upgrade", "--connect-timeout", args.connectTimeout]);
    if (upgrade.code !== 0) throw new Error(`db upgrade failed: ${upgrade.stderr}`);
    const fleet = await runFleet({
      agents,
      modelsRoot,
      run: (commandArgs, env) => dpo(target, commandArgs, env),
      extraArgs: ["--connect-timeout", args.connectTimeout],
    });
    const runs = [fleet.seed, ...fleet.agents];
    // checkFleet() lists the commands that failed first, then what is wrong in the database.
    const failed = runs.flatMap((run) => run.errors);
    const problems = (await withAdmin(database, (sql) => checkFleet(postgresFleetStore(sql), runs)))
      .slice(
        failed.length,
      );
    const commands = fleet.agents.flatMap((run) => run.commands);
    const latencies = commands.map((c) => c.ms).sort((a, b) => a - b);
    return {
      agents,
      path,
      seconds: fleet.seconds,
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      commands: commands.length,
      retried: commands.filter((c) => c.retriedConnect).length,
      failed,
      problems,
    };
  } finally {
    await withAdmin(
      "postgres",
      (sql) => sql.unsafe(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`),
    );
  }
}

const modelsRoot = await Deno.makeTempDir({ prefix: "dpo-load-" });
try {
  await writeFleetModels(modelsRoot, Math.max(...args.agents));
  const settings = await withAdmin(
    "postgres",
    (sql) =>
      sql`SELECT current_setting('max_connections') AS max_connections,
      current_setting('superuser_reserved_connections') AS reserved, version() AS version`,
  );
  const rows: Row[] = [];
  for (const agents of args.agents) {
    for (const path of args.paths) {
      console.error(`load: ${agents} agents, ${path}…`);
      const row = await measure(agents, path, modelsRoot);
      console.error(
        `load: ${row.commands} commands in ${row.seconds.toFixed(1)} s, ${row.retried} retried ` +
          `a connection, ${row.failed.length} failed, ${row.problems.length} exactly-once problems`,
      );
      for (const line of [...row.failed, ...row.problems].slice(0, 10)) console.error(`  ${line}`);
      rows.push(row);
    }
  }
  const { max_connections: maxConnections, version } = settings[0];
  console.log(
    `${version.split(" ").slice(0, 2).join(" ")}, max_connections = ${maxConnections}; ` +
      `PgBouncer pool_mode = transaction, pool of ${
        Deno.env.get("DPO_TEST_PGBOUNCER_POOL_SIZE") ?? "?"
      } server connections; ${navigator.hardwareConcurrency} cores shared by server, ` +
      `PgBouncer and agents; each agent = 9 dpo processes.\n`,
  );
  console.log(
    "| N | path | executions/s | p50 command latency | p99 command latency | " +
      "connect retries | errors | exactly once |",
  );
  console.log("|---:|---|---:|---:|---:|---:|---:|---|");
  for (const row of rows) {
    console.log(
      `| ${row.agents} | ${row.path === "direct" ? "PostgreSQL" : "PgBouncer"} | ` +
        `${(row.agents / row.seconds).toFixed(2)} | ${(row.p50 / 1000).toFixed(2)} s | ` +
        `${(row.p99 / 1000).toFixed(2)} s | ${row.retried} of ${row.commands} | ` +
        `${row.failed.length} | ${row.problems.length === 0 ? "yes" : "NO"} |`,
    );
  }
  if (rows.some((row) => row.failed.length + row.problems.length > 0)) Deno.exitCode = 1;
} finally {
  await Deno.remove(modelsRoot, { recursive: true });
}
