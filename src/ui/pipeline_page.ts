/** `/pipelines/<name>`: charts of the listed executions, then the executions, paged. */
import { NotFoundError } from "../errors.ts";
import type { Store } from "../store/database.ts";
import type { ExecutionWithTotals } from "../domain.ts";
import { executionHistory } from "../service/history.ts";
import { stepMetrics } from "../service/change_pages.ts";
import { executionJson, jsonInteger } from "../cli/json_shapes.ts";
import { type Html, html } from "./html.ts";
import { countText, dataTable, duration, type Links, type Page, pagerLinks } from "./page_parts.ts";
import { pipelineCharts } from "./pipeline_charts.ts";

/** Executions on one page of a pipeline, and bars in each of its charts. */
export const EXECUTIONS_PAGE_SIZE = 50;

/**
 * A page of a pipeline's executions, newest first, under charts of the same executions: the
 * charts page with the list, so their cost follows the page, not the pipeline's history.
 */
export async function pipelinePage(
  store: Store,
  links: Links,
  options: { pipeline: string; page: number },
): Promise<Page> {
  const { pipeline, page } = options;
  const listed = await executionHistory(store, {
    pipeline,
    limit: EXECUTIONS_PAGE_SIZE + 1,
    offset: (page - 1) * EXECUTIONS_PAGE_SIZE,
  });
  const executions = listed.slice(0, EXECUTIONS_PAGE_SIZE);
  if (executions.length === 0) {
    throw new NotFoundError(
      page === 1
        ? `Pipeline "${pipeline}" has no executions: see the pipelines page`
        : `Pipeline "${pipeline}" has no page ${page} of executions: see its first page`,
    );
  }
  const metrics = await stepMetrics(store, executions.map((e) => e.executionId));
  const hasNextPage = listed.length > EXECUTIONS_PAGE_SIZE;
  const body = html`<h1>Pipeline <span class="name">${pipeline}</span></h1>
${pipelineCharts(executions, metrics, links)}
<h2>Executions, newest first (page ${page})</h2>
${executionsTable(executions, links)}
${pagerLinks(page, hasNextPage, (n) => links.pipeline(pipeline, n))}`;
  const json = {
    pipeline,
    page,
    page_size: EXECUTIONS_PAGE_SIZE,
    has_next_page: hasNextPage,
    executions: executions.map(executionJson),
    steps: metrics.map((m) => ({
      execution_id: m.executionId,
      step_id: m.stepId,
      step_name: m.stepName,
      rows_processed: jsonInteger(m.rowsProcessed),
      changed_models: jsonInteger(m.changedModels),
    })),
  };
  return { title: `Pipeline ${pipeline}`, body, json };
}

function executionsTable(executions: readonly ExecutionWithTotals[], links: Links): Html {
  const rows = executions.map((e) =>
    html`
      <tr>
        <td><a href="${links.execution(e.executionId)}"><code>${e.executionId}</code></a></td>
        <td class="${e.status}">${e.status}</td>
        <td>${e.startedOn}</td>
        <td class="n">${duration(e.completedOn === null ? null : e.executionTimeMs)}</td>
        <td class="n">${countText(e.stepCount)}</td>
        <td class="n">${countText(e.modelCount)}</td>
        <td class="n">${countText(e.rowsProcessed)}</td>
        <td class="name">${e.failureReason ?? ""}</td>
      </tr>
    `
  );
  return dataTable("executions", [
    "Execution",
    "Status",
    "Started",
    "Duration",
    "Steps",
    "Models",
    "Rows processed",
    "Failure",
  ], rows);
}
