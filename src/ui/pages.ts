/**
 * The pages `dpo ui` serves and exports: each reads the store through the service functions and
 * returns its HTML body and the same data as JSON. Every value from the store goes through
 * `html`, which escapes it.
 */
import { NotFoundError } from "../errors.ts";
import type { Store } from "../store/database.ts";
import { type ExecutionWithTotals, type PipelineSummary, RECENT_RUNS } from "../domain.ts";
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
        <td><a href="${links.execution(p.newest.executionId)}"><code>${p.newest
          .executionId}</code></a></td>
        <td class="${p.newest.status}">${p.newest.status}</td>
        <td>${p.newest.startedOn}</td>
        <td class="n">${duration(
          p.newest.completedOn === null ? null : p.newest.executionTimeMs,
        )}</td>
        <td class="n">${successRateText(p)}</td>
        <td class="n">${formatCount(p.executionCount)}</td>
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
      label: `${e.startedOn} ${e.executionId}`,
      status: e.status,
      milliseconds: e.completedOn === null ? null : Number(e.executionTimeMs ?? 0),
      href: links.execution(e.executionId),
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
    const set = changeSets.get(step.stepId)!;
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
        <td class="name">${s.stepName}</td>
        <td class="${s.status}">${s.status}</td>
        <td class="n">${duration(s.completedOn === null ? null : s.executionTimeMs)}</td>
        <td class="n">${formatCount(s.modelCount)}</td>
        <td class="n">${s.changedModels === null ? "-" : formatCount(s.changedModels)}</td>
        <td class="n">${s.rowsProcessed === null ? "-" : formatCount(s.rowsProcessed)}</td>
        <td class="name">${s.failureReason ?? ""}</td>
      </tr>
    `
  );
  const changeSections = stepChanges.map((c) =>
    html`<h3>Step <span class="name">${c.step.stepName}</span>: ${c.total} changed${
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
    <h1>Execution <code>${e.executionId}</code></h1>
    <p>Pipeline <a class="name" href="${links.pipeline(e.pipeline)}">${e.pipeline}</a>:
    <span class="${e.status}">${e.status}</span>, started ${e.startedOn}, ${e.completedOn === null
      ? "running"
      : html`took ${duration(e.executionTimeMs)}`}${e.failureReason === null
      ? ""
      : html`, failed: <span class="name">${e.failureReason}</span>`}.
    Compared with ${detail.previousExecutionId === null
      ? "no earlier successful execution"
      : html`<a href="${
        links.execution(detail.previousExecutionId)
      }"><code>${detail.previousExecutionId}</code></a>`}.</p>
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
      step_id: c.step.stepId,
      step_name: c.step.stepName,
      total: c.total,
      unchanged: c.unchanged,
      changes: c.changes,
    })),
  };
  return { title: `Execution ${e.executionId}`, body, json };
}

function executionsTable(executions: readonly ExecutionWithTotals[], links: Links): Html {
  const rows = executions.map((e) =>
    html`
      <tr>
        <td><a href="${links.execution(e.executionId)}"><code>${e.executionId}</code></a></td>
        <td class="${e.status}">${e.status}</td>
        <td>${e.startedOn}</td>
        <td class="n">${duration(e.completedOn === null ? null : e.executionTimeMs)}</td>
        <td class="n">${formatCount(e.stepCount)}</td>
        <td class="n">${formatCount(e.modelCount)}</td>
        <td class="n">${e.rowsProcessed === null ? "-" : formatCount(e.rowsProcessed)}</td>
        <td class="name">${e.failureReason ?? ""}</td>
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
function duration(milliseconds: bigint | string | null): string {
  if (milliseconds === null) return "-";
  const ms = Number(milliseconds);
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  const seconds = Math.floor(ms / 1000);
  const [h, m, s] = [Math.floor(seconds / 3600), Math.floor(seconds / 60) % 60, seconds % 60];
  const two = (n: number) => String(n).padStart(2, "0");
  return h === 0 ? `${m}m ${two(s)}s` : `${h}h ${two(m)}m`;
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
