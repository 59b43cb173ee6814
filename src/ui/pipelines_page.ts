/** `/`: each pipeline's newest execution and success rate over its last runs. */
import type { Store } from "../store/database.ts";
import type { PipelineSummary } from "../store/executions.ts";
import { RECENT_RUNS } from "../store/executions.ts";
import { pipelineOverview } from "../service/history.ts";
import { html } from "./html.ts";
import { countText, duration, type Links, type Page } from "./page_parts.ts";

/** The pipelines page: one row a pipeline, by name. */
export async function pipelinesPage(store: Store, links: Links): Promise<Page> {
  const pipelines = await pipelineOverview(store);
  const rows = pipelines.map((p) =>
    html`
      <tr>
        <td class="name"><a href="${links.pipeline(p.pipeline)}">${p.pipeline}</a></td>
        <td><a href="${links.execution(p.execution_id)}"><code>${p.execution_id}</code></a></td>
        <td class="${p.status}">${p.status}</td>
        <td>${p.started_on}</td>
        <td class="n">${duration(p.completed_on === null ? null : p.execution_time_ms)}</td>
        <td class="n">${successRateText(p)}</td>
        <td class="n">${countText(p.execution_count)}</td>
      </tr>
    `
  );
  const body = html`<h1>Pipelines</h1>
${
    pipelines.length === 0
      ? html`<p class="muted">No executions yet: start one with <code>dpo init-execution</code>.</p>`
      : html`
        <table class="pipelines">
          <thead>
            <tr>
              <th>Pipeline</th>
              <th>Last execution</th>
              <th>Status</th>
              <th>Started</th>
              <th>Duration</th>
              <th>Success (last ${RECENT_RUNS})</th>
              <th>Executions</th>
            </tr>
          </thead>
          <tbody>${rows}</tbody>
        </table>
      `
  }`;
  return { title: "Pipelines", body, json: { pipelines: pipelines.map(pipelineJson) } };
}

function successRate(p: PipelineSummary): number | null {
  const ended = Number(p.recent_completed) + Number(p.recent_failed);
  return ended === 0 ? null : Number(p.recent_completed) / ended;
}

function successRateText(p: PipelineSummary): string {
  const rate = successRate(p);
  return rate === null
    ? "-"
    : `${Math.round(rate * 100)} % (${p.recent_completed}/${
      Number(p.recent_completed) + Number(p.recent_failed)
    })`;
}

function pipelineJson(p: PipelineSummary) {
  return {
    pipeline: p.pipeline,
    executions: Number(p.execution_count),
    last_execution: {
      execution_id: p.execution_id,
      status: p.status,
      started_on: p.started_on,
      completed_on: p.completed_on,
      execution_time_ms: p.execution_time_ms === null ? null : Number(p.execution_time_ms),
      failure_reason: p.failure_reason,
    },
    recent_runs: Number(p.recent_runs),
    recent_completed: Number(p.recent_completed),
    recent_failed: Number(p.recent_failed),
    success_rate: successRate(p),
  };
}
