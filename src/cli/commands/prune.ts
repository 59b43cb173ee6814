/** prune: deletes old executions whole, in short batches, keeping every pipeline's baseline. */
import type { Command } from "../parser.ts";
import { UsageError } from "../../errors.ts";
import { DEFAULT_PRUNE_BATCH_ROWS, prune, type PruneResult } from "../../service/prune.ts";
import { parseAgeOrTime, parseWholeNumber } from "../arguments.ts";
import type { CliContext, GlobalOptions } from "../context.ts";
import { formatCount } from "../summaries.ts";
import { alignedTable } from "../tables.ts";

interface PruneFlags {
  keepLast?: string;
  olderThan?: string;
  allPipelines?: boolean;
  includeUnfinished?: boolean;
  dryRun?: boolean;
  batchRows: string;
}

export function registerPrune(program: Command, cli: CliContext): void {
  program.command("prune")
    .description(
      "Delete old executions whole, with their steps and checksums; never a pipeline's last " +
        "successful execution, nor an unfinished one unless --include-unfinished",
    )
    .option("--keep-last <n>", "keep each pipeline's newest n executions")
    .option(
      "--older-than <age|iso>",
      "only executions started before this: a duration (30d, 12h, 90m, 2w) or an ISO 8601 time",
    )
    .option("--all-pipelines", "every pipeline, not only --pipeline's")
    .option(
      "--include-unfinished",
      "also unfinished executions older than --older-than (marked FAILED, then deleted)",
    )
    .option("--dry-run", "print what would be deleted and delete nothing")
    .option(
      "--batch-rows <n>",
      "model rows deleted per transaction",
      String(DEFAULT_PRUNE_BATCH_ROWS),
    )
    .action(async (flags: PruneFlags) => {
      const options = {
        pipeline: pipelineOf(program, cli, flags),
        keepLast: flags.keepLast === undefined
          ? null
          : parseWholeNumber(flags.keepLast, "--keep-last", 0, 1_000_000_000),
        olderThan: flags.olderThan === undefined
          ? null
          : parseAgeOrTime(flags.olderThan, "--older-than"),
        includeUnfinished: flags.includeUnfinished ?? false,
        dryRun: flags.dryRun ?? false,
        batchRows: parseWholeNumber(flags.batchRows, "--batch-rows", 1, 1_000_000),
      };
      if (options.keepLast === null && options.olderThan === null) {
        throw new UsageError(
          "prune needs --keep-last <n>, --older-than <age|iso> or both: say what to keep",
        );
      }
      if (options.includeUnfinished && options.olderThan === null) {
        throw new UsageError(
          "--include-unfinished needs --older-than: an agent may still be recording a new run",
        );
      }
      const result = await cli.withStore((store) => prune(store, options));
      cli.emit(pruneJson(result), pruneText(result));
    });
}

function pipelineOf(program: Command, cli: CliContext, flags: PruneFlags): string | null {
  if (!flags.allPipelines) return cli.pipeline();
  if (program.opts<GlobalOptions>().pipeline !== undefined) {
    throw new UsageError("--pipeline and --all-pipelines contradict each other: give one");
  }
  return null;
}

function pruneText(result: PruneResult): string {
  const { executions, steps, modelRows } = result.totals;
  if (executions === 0) return result.dryRun ? "Would prune nothing" : "Pruned nothing";
  const counts = `${counted(executions, "execution")}, ${counted(steps, "step")}, ${
    counted(modelRows, "model row")
  }`;
  if (!result.dryRun) return `Pruned ${counts}`;
  const table = alignedTable(
    ["EXECUTION ID", "PIPELINE", "STATUS", "STARTED", "STEPS", "MODELS"],
    result.executions.map((e) => [
      e.executionId,
      e.pipeline,
      e.status,
      e.startedOn,
      formatCount(e.stepCount),
      formatCount(e.modelCount),
    ]),
    new Set([4, 5]),
  );
  return `${table}\n\nWould prune ${counts}`;
}

function pruneJson(result: PruneResult) {
  return {
    dry_run: result.dryRun,
    started_before: result.startedBefore,
    executions: result.executions.map((e) => ({
      execution_id: e.executionId,
      pipeline: e.pipeline,
      status: e.status,
      started_on: e.startedOn,
      steps: Number(e.stepCount),
      models: Number(e.modelCount),
    })),
    totals: {
      executions: result.totals.executions,
      steps: result.totals.steps,
      model_rows: result.totals.modelRows,
    },
  };
}

function counted(count: number, noun: string): string {
  return `${formatCount(count)} ${noun}${count === 1 ? "" : "s"}`;
}
