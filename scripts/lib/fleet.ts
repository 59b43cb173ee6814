/**
 * A fleet of build agents, each running one whole two-step pipeline execution through the CLI at
 * the same time as the others, and the checks that every execution, step and checksum was stored
 * exactly once and every comparison was right. Shared by tests/e2e/fleet_test.ts (correctness)
 * and scripts/load.ts (timings).
 */
import { createHash } from "node:crypto";
import type postgres from "postgres";

import type { CommandOutput } from "./captured_command.ts";

/** What get-last-successful-execution prints when there is none. */
const NO_LAST_SUCCESSFUL_EXECUTION = "NO_LAST_SUCCESSFUL_EXECUTION";

/** What one dpo command printed and how it exited. */
export type DpoOutput = CommandOutput;

/** Runs dpo with these arguments (the store already named by the caller) and environment. */
export type RunDpo = (args: readonly string[], env: Record<string, string>) => Promise<DpoOutput>;

/** One command as an agent saw it. */
export interface CommandRecord {
  command: string;
  ms: number;
  code: number;
  /** True when dpo logged that it retried the connection (53300, 57P03, refused). */
  retriedConnect: boolean;
}

/** What one agent ran and printed. */
export interface AgentRun {
  agent: number;
  /** get-last-successful-execution's answer (NO_LAST_SUCCESSFUL_EXECUTION: none); "" if unasked. */
  previous: string;
  /** When that answer arrived (ms since the epoch): the previous was completed by then. */
  previousSeenAt: number;
  executionId: string;
  steps: { name: string; stepId: string; changed: string }[];
  commands: CommandRecord[];
  /** One line per command that failed or printed something unexpected; empty when all went well. */
  errors: string[];
}

interface FleetStep {
  name: string;
  folder: string;
  pattern: string;
  extension: string;
}

/** The two steps every agent runs. */
export const FLEET_STEPS: readonly FleetStep[] = [
  { name: "LOAD", folder: "load", pattern: "**/*.csv", extension: "csv" },
  { name: "TRANSFORM", folder: "transform", pattern: "**/*.sql", extension: "sql" },
];

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * An agent's model files per step, keyed by model name: one the same for every agent (never
 * changed), one of a few variants (changed against agents with another variant) and one only
 * this agent has (always added). Small on purpose: the fleet measures dpo, not hashing.
 */
export function agentModels(agent: number): Record<string, Record<string, string>> {
  const models: Record<string, Record<string, string>> = {};
  for (const [index, step] of FLEET_STEPS.entries()) {
    models[step.name] = {
      shared: `-- ${step.name} shared by every agent\n`,
      variant: `-- ${step.name} variant ${agent % (3 + index)}\n`,
      [`agent_${String(agent).padStart(3, "0")}`]: `-- ${step.name} of agent ${agent}\n`,
    };
  }
  return models;
}

/** Writes agentModels(agent) under `root`: `<root>/<step folder>/<model>.<extension>`. */
export async function writeAgentModels(root: string, agent: number): Promise<void> {
  const models = agentModels(agent);
  for (const step of FLEET_STEPS) {
    const folder = `${root}/${step.folder}`;
    await Deno.mkdir(folder, { recursive: true });
    for (const [name, content] of Object.entries(models[step.name])) {
      await Deno.writeTextFile(`${folder}/${name}.${step.extension}`, content);
    }
  }
}

/**
 * One agent's execution, as a build agent's script runs it: get-last-successful-execution,
 * init-execution, then per step init-step, compare-step-models and complete-step, then
 * complete-execution. Stops at the first failure and records it; never throws for dpo's sake.
 */
export async function runAgent(
  options: { agent: number; modelsRoot: string; run: RunDpo; extraArgs?: readonly string[] },
): Promise<AgentRun> {
  const env = { DPO_AGENT: `agent-${options.agent}` };
  const result: AgentRun = {
    agent: options.agent,
    previous: "",
    previousSeenAt: 0,
    executionId: "",
    steps: [],
    commands: [],
    errors: [],
  };
  const dpo = async (args: string[], expectStdout: RegExp): Promise<string | null> => {
    const start = performance.now();
    const output = await options.run([...args, ...options.extraArgs ?? []], env);
    const ms = performance.now() - start;
    const retriedConnect = output.stderr.includes("is not available yet");
    result.commands.push({ command: args[0], ms, code: output.code, retriedConnect });
    const stdout = output.stdout.replace(/\n$/, "");
    const stderr = output.stderr.split("\n").filter((line) =>
      line !== "" && !/ - dpo - INFO - /.test(line) && !/is not available yet/.test(line)
    );
    if (output.code !== 0 || !expectStdout.test(stdout) || stderr.length > 0) {
      result.errors.push(
        `agent ${options.agent}: dpo ${args.join(" ")} exited ${output.code}; stdout ` +
          `${JSON.stringify(output.stdout)}; stderr ${JSON.stringify(output.stderr)}`,
      );
      return null;
    }
    return stdout;
  };
  const previous = await dpo(
    ["get-last-successful-execution"],
    new RegExp(`^(${NO_LAST_SUCCESSFUL_EXECUTION}|[0-9a-f-]{36})$`),
  );
  if (previous === null) return result;
  result.previous = previous;
  result.previousSeenAt = Date.now();
  const executionId = await dpo(["init-execution"], UUID);
  if (executionId === null) return result;
  result.executionId = executionId;
  for (const step of FLEET_STEPS) {
    const folder = `${options.modelsRoot}/${step.folder}`;
    const stepId = await dpo(["init-step", executionId, step.name, folder, step.pattern], UUID);
    if (stepId === null) return result;
    const changed = await dpo(["compare-step-models", stepId, previous], /^[\w ]*$/);
    if (changed === null) return result;
    result.steps.push({ name: step.name, stepId, changed });
    if (await dpo(["complete-step", stepId, "--rows-processed", "1"], /^$/) === null) {
      return result;
    }
  }
  await dpo(["complete-execution", executionId], /^$/);
  return result;
}

/** A fleet's runs: the seed execution first, then the agents that ran at once. */
export interface FleetRun {
  seed: AgentRun;
  agents: AgentRun[];
  /** Wall time of the agents that ran at once, the seed excluded. */
  seconds: number;
}

/**
 * One execution by a seed agent (number `agents`) alone, so that every agent has a previous
 * execution to compare against, then `agents` agents (0 … agents-1) all at once. Each agent's
 * models are in `<modelsRoot>/agent_<n>`, as writeFleetModels() leaves them.
 */
export async function runFleet(
  options: { agents: number; modelsRoot: string; run: RunDpo; extraArgs?: readonly string[] },
): Promise<FleetRun> {
  const agentRun = (agent: number) =>
    runAgent({ ...options, agent, modelsRoot: `${options.modelsRoot}/agent_${agent}` });
  const seed = await agentRun(options.agents);
  const start = performance.now();
  const agents = await Promise.all(Array.from({ length: options.agents }, (_, n) => agentRun(n)));
  return { seed, agents, seconds: (performance.now() - start) / 1000 };
}

/** Writes the models of agents 0 … agents (the seed included) for runFleet(). */
export async function writeFleetModels(modelsRoot: string, agents: number): Promise<void> {
  for (let agent = 0; agent <= agents; agent++) {
    await writeAgentModels(`${modelsRoot}/agent_${agent}`, agent);
  }
}

/** A counting semaphore: at most `limit` holders of `run` at once. */
export function semaphore(limit: number): <T>(work: () => Promise<T>) => Promise<T> {
  let active = 0;
  const waiting: (() => void)[] = [];
  return async (work) => {
    if (active >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
    else active++;
    try {
      return await work();
    } finally {
      const wake = waiting.shift();
      if (wake) wake();
      else active--;
    }
  };
}

function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/** The models `agent`'s step has that are new or changed against `previousAgent`'s, sorted. */
function expectedChanged(agent: number, previousAgent: number | null, stepName: string): string {
  const mine = agentModels(agent)[stepName];
  const theirs = previousAgent === null ? {} : agentModels(previousAgent)[stepName];
  return Object.keys(mine).filter((name) => theirs[name] !== mine[name])
    .sort((a, b) => a < b ? -1 : a > b ? 1 : 0).join(" ");
}

/** A store's rows, read outside dpo: on PostgreSQL (postgresFleetStore) or a SQLite file. */
export interface FleetStore {
  dialect: "postgres" | "sqlite";
  rows(query: string, params: unknown[]): Promise<Record<string, unknown>[]>;
}

/** A PostgreSQL connection as a FleetStore. */
export function postgresFleetStore(sql: postgres.Sql): FleetStore {
  return {
    dialect: "postgres",
    rows: async (
      query,
      params,
    ) => [...await sql.unsafe(query, params as postgres.ParameterOrJSON<never>[])],
  };
}

/**
 * Checks the database against what the agents printed: each execution, step and checksum stored
 * exactly once and completed, each previous execution one that had completed when the agent
 * asked, and each comparison what the agents' files imply. Returns one line per problem.
 */
export async function checkFleet(
  db: FleetStore,
  runs: readonly AgentRun[],
  pipeline = "default",
): Promise<string[]> {
  const problems: string[] = runs.flatMap((run) => run.errors);
  const byExecution = new Map(runs.map((run) => [run.executionId, run]));
  const completedMs = db.dialect === "sqlite"
    ? "(julianday(e.completed_on) - 2440587.5) * 86400000.0"
    : "(extract(epoch FROM e.completed_on) * 1000)::float8";
  const executions = await db.rows(
    `SELECT CAST(e.execution_id AS text) AS execution_id, e.status,
      ${completedMs} AS completed_ms,
      CAST((SELECT count(*) FROM dpo.execution_step s WHERE s.execution_id = e.execution_id)
        AS text) AS steps
    FROM dpo.execution e WHERE e.pipeline = $1`,
    [pipeline],
  ) as { execution_id: string; status: string; completed_ms: number | null; steps: string }[];
  if (executions.length !== runs.length || byExecution.size !== runs.length) {
    problems.push(`${executions.length} executions stored for ${runs.length} agents`);
  }
  const completedAt = new Map<string, number | null>();
  for (const row of executions) {
    completedAt.set(row.execution_id, row.completed_ms);
    if (!byExecution.has(row.execution_id)) {
      problems.push(`execution ${row.execution_id} was stored but no agent printed it`);
    }
    if (row.status !== "COMPLETED" || row.steps !== String(FLEET_STEPS.length)) {
      problems.push(`execution ${row.execution_id}: status ${row.status}, ${row.steps} steps`);
    }
  }
  const stepRows = await db.rows(
    `SELECT CAST(s.execution_step_id AS text) AS step_id,
      CAST(s.execution_id AS text) AS execution_id, s.step_name
    FROM dpo.execution_step s JOIN dpo.execution e USING (execution_id)
    WHERE e.pipeline = $1 AND s.status = 'COMPLETED'`,
    [pipeline],
  ) as { step_id: string; execution_id: string; step_name: string }[];
  const stepsById = new Map(stepRows.map((row) => [row.step_id, row]));
  if (stepsById.size !== stepRows.length) problems.push("a step id is stored twice");
  const modelRows = await db.rows(
    `SELECT CAST(m.execution_step_id AS text) AS step_id, m.model_name, m.checksum
    FROM dpo.execution_step_model m JOIN dpo.execution_step s USING (execution_step_id)
    JOIN dpo.execution e USING (execution_id) WHERE e.pipeline = $1`,
    [pipeline],
  ) as { step_id: string; model_name: string; checksum: string }[];
  const modelsByStep = new Map<string, Map<string, string>>();
  for (const row of modelRows) {
    const models = modelsByStep.get(row.step_id) ?? new Map<string, string>();
    if (models.has(row.model_name)) {
      problems.push(`step ${row.step_id} stores model ${row.model_name} twice`);
    }
    models.set(row.model_name, row.checksum);
    modelsByStep.set(row.step_id, models);
  }
  let storedSteps = 0;
  for (const run of runs) {
    // "" when the agent stopped before it asked.
    const previousRun = run.previous === NO_LAST_SUCCESSFUL_EXECUTION || run.previous === ""
      ? null
      : byExecution.get(run.previous);
    if (previousRun === undefined || previousRun?.agent === run.agent) {
      problems.push(`agent ${run.agent} was given ${run.previous} as previous: not a fleet run`);
      continue;
    }
    const previousCompleted = previousRun ? completedAt.get(run.previous) : null;
    if (previousRun && (previousCompleted == null || previousCompleted > run.previousSeenAt)) {
      problems.push(`agent ${run.agent} was given ${run.previous}, not completed at the time`);
    }
    for (const step of run.steps) {
      storedSteps++;
      const stored = stepsById.get(step.stepId);
      if (stored?.execution_id !== run.executionId || stored.step_name !== step.name) {
        problems.push(`agent ${run.agent}: step ${step.name} (${step.stepId}) stored wrongly`);
      }
      const expectedModels = Object.entries(agentModels(run.agent)[step.name])
        .map(([name, content]) => `${name}=${sha256(content)}`).sort().join(" ");
      const storedModels = [...modelsByStep.get(step.stepId) ?? new Map()]
        .map(([name, checksum]) => `${name}=${checksum}`).sort().join(" ");
      if (storedModels !== expectedModels) {
        problems.push(`agent ${run.agent}: ${step.name} checksums ${storedModels}`);
      }
      const expected = expectedChanged(run.agent, previousRun?.agent ?? null, step.name);
      if (step.changed !== expected) {
        problems.push(
          `agent ${run.agent}: ${step.name} changed "${step.changed}", expected "${expected}"`,
        );
      }
    }
  }
  if (stepRows.length !== storedSteps || storedSteps !== runs.length * FLEET_STEPS.length) {
    problems.push(`${stepRows.length} completed steps stored, ${storedSteps} printed`);
  }
  return problems;
}
