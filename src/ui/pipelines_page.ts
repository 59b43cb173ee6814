/** `/`: each pipeline's newest execution and success rate over its last runs. */
import type { Store } from "../store/database.ts";
import { type PipelineSummary, RECENT_RUNS } from "../domain.ts";
import { pipelineOverview } from "../service/history.ts";
import { html } from "./html.ts";
import { countText, dataTable, duration, type Links, type Page } from "./page_parts.ts";

/** The pipelines page: one row a pipeline, by name. */
export async function pipelinesPage(store: Store, links: Links): Promise<Page> {
  const pipelines = await pipelineOverview(store);
  const rows = pipelines.map((p) =>
    html`
      <tr>
        <td class="name"><a href="${links.pipeline(p.pipeline)}">${p.pipeline}</a></td>
        <td><a href="${links.execution(p.newest.executionId)}"><code>${p.newest
          .executionId}</code></a></td>
        <td class="${p.newest.status}">${p.newest.status}</td>
        <td>${p.newest.startedOn}</td>
        <td class="n">${duration(
          p.newest.completedOn === null ? null : p.newest.executionTimeMs,
        )}</td>
        <td class="n">${successRateText(p)}</td>
        <td class="n">${countText(p.executionCount)}</td>
      </tr>
    `
  );
  const body = html`<h1>Pipelines</h1>
${
    pipelines.length === 0
      ? html`<p class="muted">No executions yet: start one with <code>dpo init-execution</code>.</p>`
      : dataTable("pipelines", [
        "Pipeline",
        "Last execution",
        "Status",
        "Started",
        "Duration",
        `Success (last ${RECENT_RUNS})`,
        "Executions",
      ], rows)
  }`;
  return { title: "Pipelines", body, json: { pipelines: pipelines.map(pipelineJson) } };
}

function successRate(p: PipelineSummary): number | null {
  const ended = Number(p.recentCompleted) + Number(p.recentFailed);
  return ended === 0 ? null : Number(p.recentCompleted) / ended;
}

function successRateText(p: PipelineSummary): string {
  const rate = successRate(p);
  return rate === null
    ? "-"
    : `${Math.round(rate * 100)} % (${p.recentCompleted}/${
      Number(p.recentCompleted) + Number(p.recentFailed)
    })`;
}

function pipelineJson(p: PipelineSummary) {
  return {
    pipeline: p.pipeline,
    executions: Number(p.executionCount),
    last_execution: {
      execution_id: p.newest.executionId,
      status: p.newest.status,
      started_on: p.newest.startedOn,
      completed_on: p.newest.completedOn,
      execution_time_ms: p.newest.executionTimeMs === null
        ? null
        : Number(p.newest.executionTimeMs),
      failure_reason: p.newest.failureReason,
    },
    recent_runs: Number(p.recentRuns),
    recent_completed: Number(p.recentCompleted),
    recent_failed: Number(p.recentFailed),
    success_rate: successRate(p),
  };
}
