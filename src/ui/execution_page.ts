/**
 * `/executions/<id>`: the steps with durations, rows, status and failure reasons, then each
 * step's change set against the earlier successful run (added, modified, deleted, then renamed,
 * each by code point, as `dpo diff` lists them), paged and searched by the store, each model a
 * link to its history.
 */
import type { Store } from "../store/database.ts";
import type { ExecutionDetail, StepDetail } from "../domain.ts";
import {
  type ChangePageCache,
  executionChangePage,
  type StepChangePage,
} from "../service/change_pages.ts";
import { executionDetailJson } from "../cli/json_shapes.ts";
import { type Html, html } from "./html.ts";
import { countText, dataTable, duration, type Links, type Page, pagerLinks } from "./page_parts.ts";

/** Changes of one step on one page of an execution. */
export const CHANGES_PAGE_SIZE = 200;

/** The execution page, page `page` of its change sets, names containing `search`. */
export async function executionPage(
  store: Store,
  links: Links,
  options: { executionId: string; page: number; search: string; cache?: ChangePageCache },
): Promise<Page> {
  const { executionId, page, search } = options;
  const { detail, stepPages } = await executionChangePage(store, executionId, {
    search,
    limit: CHANGES_PAGE_SIZE,
    offset: (page - 1) * CHANGES_PAGE_SIZE,
    cache: options.cache,
  });
  const hasNextPage = stepPages.some((s) => s.counts.matching > page * CHANGES_PAGE_SIZE);
  const pageLink = (n: number) => {
    const link = links.execution(executionId, n);
    if (search === "") return link;
    return `${link}${link.includes("?") ? "&" : "?"}q=${encodeURIComponent(search)}`;
  };
  const pipeline = detail.execution.pipeline;
  const body = html`
    ${executionSummary(detail, links)}
    <h2>Steps</h2>
    ${stepsTable(detail.steps)}
    <h2>Changes since the earlier successful run (page ${page})</h2>
    ${links.searchable
      ? html`<form method="get" action=""><input type="hidden" name="page" value="1">
    <label>Model name contains <input type="search" name="q" value="${search}"></label>
    <button type="submit">Search</button></form>`
      : ""}
    ${stepPages.map((s) => changeSection(s, { search, links, pipeline }))}
    ${pagerLinks(page, hasNextPage, pageLink)}
  `;
  const json = {
    execution: executionDetailJson(detail),
    page,
    page_size: CHANGES_PAGE_SIZE,
    search,
    has_next_page: hasNextPage,
    change_sets: stepPages.map((s) => ({
      step_id: s.step.stepId,
      step_name: s.step.stepName,
      total: s.counts.matching,
      unchanged: s.unchanged,
      changes: s.changes.map((c) => ({ name: listedName(c), change: c.change })),
    })),
  };
  return { title: `Execution ${executionId}`, body, json };
}

function listedName(change: StepChangePage["changes"][number]): string {
  return change.renamedTo === null ? change.name : `${change.name} → ${change.renamedTo}`;
}

function executionSummary(detail: ExecutionDetail, links: Links): Html {
  const e = detail.execution;
  const previous = detail.previousExecutionId;
  return html`
    <h1>Execution <code>${e.executionId}</code></h1>
    <p>Pipeline <a class="name" href="${links.pipeline(e.pipeline)}">${e.pipeline}</a>:
    <span class="${e.status}">${e.status}</span>, started ${e.startedOn}, ${e.completedOn === null
      ? "running"
      : html`took ${duration(e.executionTimeMs)}`}${e.failureReason === null
      ? ""
      : html`, failed: <span class="name">${e.failureReason}</span>`}.
    Compared with ${previous === null
      ? "no earlier successful execution"
      : html`<a href="${links.execution(previous)}"><code>${previous}</code></a>`}.</p>
  `;
}

function stepsTable(steps: readonly StepDetail[]): Html {
  const rows = steps.map((s) =>
    html`
      <tr>
        <td class="name">${s.stepName}</td>
        <td class="${s.status}">${s.status}</td>
        <td class="n">${duration(s.completedOn === null ? null : s.executionTimeMs)}</td>
        <td class="n">${countText(s.modelCount)}</td>
        <td class="n">${countText(s.changedModels)}</td>
        <td class="n">${countText(s.rowsProcessed)}</td>
        <td class="name">${s.failureReason ?? ""}</td>
      </tr>
    `
  );
  return dataTable(
    "steps",
    ["Step", "Status", "Duration", "Models", "Changed", "Rows", "Failure"],
    rows,
  );
}

function changeSection(
  stepPage: StepChangePage,
  options: { search: string; links: Links; pipeline: string },
): Html {
  const { step, counts, changes } = stepPage;
  const modelCell = (change: StepChangePage["changes"][number]) => {
    // A renamed model's history is under its new name.
    const href = options.links.model(
      options.pipeline,
      change.renamedTo ?? change.name,
      step.stepName,
    );
    const name = listedName(change);
    return href === undefined ? name : html`<a href="${href}">${name}</a>`;
  };
  return html`<h3>Step <span class="name">${step.stepName}</span>: ${counts.matching} changed${
    options.search === "" ? "" : html`
      matching “<span class="name">${options.search}</span>”
    `
  }, ${stepPage.unchanged} unchanged</h3>
${
    changes.length === 0 ? html`<p class="muted">No changes on this page.</p>` : dataTable(
      "changes",
      ["Change", "Model"],
      changes.map((c) =>
        html`
          <tr>
            <td>${c.change}</td>
            <td class="name">${modelCell(c)}</td>
          </tr>
        `
      ),
    )
  }`;
}
