/**
 * The pages `dpo ui` serves and exports: each reads the store through the service functions and
 * returns its HTML body and the same data as JSON. Every value from the store goes through
 * `html`, which escapes it.
 */
import { NotFoundError } from "../errors.ts";
import type { Store } from "../store/database.ts";
import type { ExecutionRow, PipelineSummary } from "../store/executions.ts";
import { RECENT_RUNS } from "../store/executions.ts";
import {
  type ChangeSetCache,
  executionChanges,
  executionHistory,
  executionTimeline,
  pipelineOverview,
} from "../service/history.ts";
import { executionDetailJson, executionJson } from "../cli/json_shapes.ts";
import { formatCount } from "../cli/summaries.ts";
import { type Html, html } from "./html.ts";
import { durationChart, STATUS_COLOURS } from "./svg_chart.ts";

/** Executions on one page of a pipeline. */
export const EXECUTIONS_PAGE_SIZE = 50;
/** Executions the pipeline chart draws. */
export const CHART_EXECUTIONS = 100;
/** Changes of one step on one page of an execution. */
export const CHANGES_PAGE_SIZE = 200;

/** A rendered page: its title, its HTML body and the same data as JSON. */
export interface Page {
  title: string;
  body: Html;
  json: unknown;
}

/** Where pages link: the server's URLs, or the exported files' relative paths. */
export interface Links {
  home(): string;
  pipeline(name: string, page?: number): string;
  execution(executionId: string, page?: number): string;
  /** Whether a page can search (a server can; exported files cannot). */
  readonly searchable: boolean;
}

/** `/`: each pipeline's newest execution and success rate over its last runs. */
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
        <td class="n">${formatCount(p.execution_count)}</td>
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

/** `/pipelines/<name>`: a chart of the newest executions' durations, then them all, paged. */
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
  const timeline = await executionTimeline(store, pipeline, CHART_EXECUTIONS);
  if (timeline.length === 0) {
    throw new NotFoundError(`Pipeline "${pipeline}" has no executions: see the pipelines page`);
  }
  const chart = durationChart(
    timeline.toReversed().map((e) => ({
      label: `${e.started_on} ${e.execution_id}`,
      status: e.status,
      milliseconds: e.completed_on === null ? null : Number(e.execution_time_ms ?? 0),
      href: links.execution(e.execution_id),
    })),
    (ms) => duration(String(ms)),
  );
  const legend = Object.entries(STATUS_COLOURS).map(([status, colour]) =>
    html`<span><svg width="10" height="10"><rect width="10" height="10" fill="${colour}"/></svg> ${status}</span>`
  );
  const pager = pagerLinks(
    page,
    listed.length > EXECUTIONS_PAGE_SIZE,
    (n) => links.pipeline(pipeline, n),
  );
  const body = html`<h1>Pipeline <span class="name">${pipeline}</span></h1>
<h2>Duration of the last ${timeline.length} executions</h2>
${chart}
<p class="legend">${legend}</p>
<h2>Executions, newest first (page ${page})</h2>
${executionsTable(executions, links)}
${pager}`;
  const json = {
    pipeline,
    page,
    page_size: EXECUTIONS_PAGE_SIZE,
    has_next_page: listed.length > EXECUTIONS_PAGE_SIZE,
    executions: executions.map(executionJson),
  };
  return { title: `Pipeline ${pipeline}`, body, json };
}

/**
 * `/executions/<id>`: the steps with durations, rows, status and failure reasons, then each
 * step's change set against the earlier successful run (added, modified, deleted, then renamed,
 * each by code point, as `dpo diff` lists them), paged and filtered by `search`.
 */
export async function executionPage(
  store: Store,
  links: Links,
  options: { executionId: string; page: number; search: string; cache?: ChangeSetCache },
): Promise<Page> {
  const { executionId, page, search } = options;
  const { detail, changeSets } = await executionChanges(store, executionId, options.cache);
  const e = detail.execution;
  let hasNextPage = false;
  const stepChanges = detail.steps.map((step) => {
    const set = changeSets.get(step.execution_step_id)!;
    const all = [
      ...set.added.map((name) => ({ name, change: "A" })),
      ...set.modified.map((name) => ({ name, change: "M" })),
      ...set.deleted.map((name) => ({ name, change: "D" })),
      ...set.renamed.map(({ from, to }) => ({ name: `${from} → ${to}`, change: "R" })),
    ].filter((c) => search === "" || c.name.includes(search));
    const start = (page - 1) * CHANGES_PAGE_SIZE;
    if (all.length > start + CHANGES_PAGE_SIZE) hasNextPage = true;
    return {
      step,
      total: all.length,
      unchanged: set.unchanged,
      changes: all.slice(start, start + CHANGES_PAGE_SIZE),
    };
  });
  const stepRows = detail.steps.map((s) =>
    html`
      <tr>
        <td class="name">${s.step_name}</td>
        <td class="${s.status}">${s.status}</td>
        <td class="n">${duration(s.completed_on === null ? null : s.execution_time_ms)}</td>
        <td class="n">${formatCount(s.model_count)}</td>
        <td class="n">${s.changed_models === null
          ? "-"
          : formatCount(String(s.changed_models))}</td>
        <td class="n">${s.rows_processed === null ? "-" : formatCount(s.rows_processed)}</td>
        <td class="name">${s.failure_reason ?? ""}</td>
      </tr>
    `
  );
  const changeSections = stepChanges.map((c) =>
    html`<h3>Step <span class="name">${c.step.step_name}</span>: ${c.total} changed${
      search === "" ? "" : html`
        matching “<span class="name">${search}</span>”
      `
    }, ${c.unchanged} unchanged</h3>
${
      c.changes.length === 0 ? html`<p class="muted">No changes on this page.</p>` : html`
        <table class="changes">
          <thead>
            <tr>
              <th>Change</th>
              <th>Model</th>
            </tr>
          </thead>
          <tbody>${c.changes.map((m) =>
            html`
              <tr>
                <td>${m.change}</td>
                <td class="name">${m.name}</td>
              </tr>
            `
          )}</tbody>
        </table>
      `
    }`
  );
  const pageLink = (n: number) => {
    const link = links.execution(executionId, n);
    if (search === "") return link;
    return `${link}${link.includes("?") ? "&" : "?"}q=${encodeURIComponent(search)}`;
  };
  const body = html`
    <h1>Execution <code>${e.execution_id}</code></h1>
    <p>Pipeline <a class="name" href="${links.pipeline(e.pipeline)}">${e.pipeline}</a>:
    <span class="${e.status}">${e.status}</span>, started ${e.started_on}, ${e.completed_on === null
      ? "running"
      : html`took ${duration(e.execution_time_ms)}`}${e.failure_reason === null
      ? ""
      : html`, failed: <span class="name">${e.failure_reason}</span>`}.
    Compared with ${detail.previous_execution_id === null
      ? "no earlier successful execution"
      : html`<a href="${
        links.execution(detail.previous_execution_id)
      }"><code>${detail.previous_execution_id}</code></a>`}.</p>
    <h2>Steps</h2>
    <table class="steps">
      <thead>
        <tr>
          <th>Step</th>
          <th>Status</th>
          <th>Duration</th>
          <th>Models</th>
          <th>Changed</th>
          <th>Rows</th>
          <th>Failure</th>
        </tr>
      </thead>
      <tbody>${stepRows}</tbody>
    </table>
    <h2>Changes since the earlier successful run (page ${page})</h2>
    ${links.searchable
      ? html`<form method="get" action=""><input type="hidden" name="page" value="1">
    <label>Model name contains <input type="search" name="q" value="${search}"></label>
    <button type="submit">Search</button></form>`
      : ""}
    ${changeSections}
    ${pagerLinks(page, hasNextPage, pageLink)}
  `;
  const json = {
    execution: executionDetailJson(detail),
    page,
    page_size: CHANGES_PAGE_SIZE,
    search,
    has_next_page: hasNextPage,
    change_sets: stepChanges.map((c) => ({
      step_id: c.step.execution_step_id,
      step_name: c.step.step_name,
      total: c.total,
      unchanged: c.unchanged,
      changes: c.changes,
    })),
  };
  return { title: `Execution ${e.execution_id}`, body, json };
}

function executionsTable(executions: readonly ExecutionRow[], links: Links): Html {
  const rows = executions.map((e) =>
    html`
      <tr>
        <td><a href="${links.execution(e.execution_id)}"><code>${e.execution_id}</code></a></td>
        <td class="${e.status}">${e.status}</td>
        <td>${e.started_on}</td>
        <td class="n">${duration(e.completed_on === null ? null : e.execution_time_ms)}</td>
        <td class="n">${formatCount(e.step_count)}</td>
        <td class="n">${formatCount(e.model_count)}</td>
        <td class="n">${e.rows_processed === null ? "-" : formatCount(e.rows_processed)}</td>
        <td class="name">${e.failure_reason ?? ""}</td>
      </tr>
    `
  );
  return html`
    <table class="executions">
      <thead>
        <tr>
          <th>Execution</th>
          <th>Status</th>
          <th>Started</th>
          <th>Duration</th>
          <th>Steps</th>
          <th>Models</th>
          <th>Rows processed</th>
          <th>Failure</th>
        </tr>
      </thead>
      <tbody>${rows}</tbody>
    </table>
  `;
}

function pagerLinks(page: number, hasNext: boolean, link: (page: number) => string): Html {
  return html`<p class="pager">${
    page > 1
      ? html`
        <a rel="prev" href="${link(page - 1)}">← newer</a>
      `
      : ""
  }${hasNext ? html`<a rel="next" href="${link(page + 1)}">older →</a>` : ""}</p>`;
}

/** Milliseconds as `1.25 s` under a minute, `14m 05s` under an hour, else `2h 03m`. */
function duration(milliseconds: string | null): string {
  if (milliseconds === null) return "-";
  const ms = Number(milliseconds);
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  const seconds = Math.floor(ms / 1000);
  const [h, m, s] = [Math.floor(seconds / 3600), Math.floor(seconds / 60) % 60, seconds % 60];
  const two = (n: number) => String(n).padStart(2, "0");
  return h === 0 ? `${m}m ${two(s)}s` : `${h}h ${two(m)}m`;
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
