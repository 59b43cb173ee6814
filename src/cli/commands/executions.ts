/** executions [show <id>]: the run history of a pipeline. */
import type { Command } from "../parser.ts";
import { executionDetail, executionHistory } from "../../service/history.ts";
import type { ExecutionWithTotals, Status } from "../../domain.ts";
import { parseExecutionId, parseIsoTime } from "../arguments.ts";
import type { CliContext } from "../context.ts";
import { executionDetailJson, executionJson } from "../json_shapes.ts";
import { formatCount, formatDuration } from "../summaries.ts";
import { alignedTable } from "../tables.ts";
import { UsageError } from "../../errors.ts";

const STATUSES: readonly Status[] = [
  "INITIALISED",
  "IN_PROGRESS",
  "COMPLETED",
  "FAILED",
  "UNKNOWN",
];

export function registerExecutions(program: Command, cli: CliContext): void {
  const executions = program.command("executions")
    .description("List the pipeline's executions, newest first, as an aligned table")
    .option("--limit <n>", "at most this many", "20")
    .option("--status <status>", `only this status: ${STATUSES.join(", ")}`)
    .option("--since <iso>", "only runs started at or after this ISO 8601 time (UTC unless offset)")
    .action(async (options: { limit: string; status?: string; since?: string }) => {
      const filter = {
        pipeline: cli.pipeline(),
        limit: parseLimit(options.limit),
        status: options.status === undefined ? undefined : parseStatus(options.status),
        since: options.since === undefined ? undefined : parseSince(options.since),
      };
      const rows = await cli.withStore((store) => executionHistory(store, filter));
      cli.emit(rows.map(executionJson), historyTable(rows));
    });
  executions.command("show")
    .description("Show an execution's steps: duration, models, rows, changes since the run before")
    .argument("<execution-id>", "an id printed by init-execution")
    .action(async (executionIdText: string) => {
      const executionId = parseExecutionId(executionIdText);
      const detail = await cli.withStore((store) => executionDetail(store, executionId));
      const e = detail.execution;
      const heading = `Execution ${e.executionId} (${e.pipeline}): ${e.status}, started ` +
        `${e.startedOn}, ${
          e.completedOn ? `took ${formatDuration(e.executionTimeMs)}` : "running"
        }` +
        (e.failureReason ? `, failed: ${e.failureReason}` : "") +
        `\nCompared with: ${detail.previousExecutionId ?? "no earlier successful execution"}`;
      const table = alignedTable(
        ["STEP", "STATUS", "DURATION", "MODELS", "CHANGED", "ROWS", "STEP ID"],
        detail.steps.map((s) => [
          s.stepName,
          s.status,
          s.completedOn ? formatDuration(s.executionTimeMs) : "-",
          formatCount(s.modelCount),
          s.changedModels === null ? "-" : formatCount(s.changedModels),
          s.rowsProcessed === null ? "-" : formatCount(s.rowsProcessed),
          s.stepId,
        ]),
        new Set([3, 4, 5]),
      );
      cli.emit(executionDetailJson(detail), `${heading}\n\n${table}`);
    });
}

function historyTable(rows: ExecutionWithTotals[]): string {
  return alignedTable(
    ["EXECUTION ID", "STATUS", "STARTED", "DURATION", "STEPS", "MODELS", "ROWS PROCESSED"],
    rows.map((e) => [
      e.executionId,
      e.status,
      e.startedOn,
      e.completedOn ? formatDuration(e.executionTimeMs) : "-",
      formatCount(e.stepCount),
      formatCount(e.modelCount),
      e.rowsProcessed === null ? "-" : formatCount(e.rowsProcessed),
    ]),
    new Set([4, 5, 6]),
  );
}

function parseLimit(text: string): number {
  if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > 100_000) {
    throw new UsageError(`--limit "${text}" is not a whole number from 1 to 100000`);
  }
  return Number(text);
}

function parseStatus(text: string): Status {
  const status = text.toUpperCase() as Status;
  if (!STATUSES.includes(status)) {
    throw new UsageError(`--status "${text}" is not known: choose one of ${STATUSES.join(", ")}`);
  }
  return status;
}

function parseSince(text: string): string {
  return parseIsoTime(text, "--since");
}
