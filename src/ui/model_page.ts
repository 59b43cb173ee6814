/**
 * `/pipelines/<name>/models/<model>[?step=S]`: a model's history across a pipeline's executions,
 * newest first, as `dpo log` prints it; each execution and each rename is a link.
 */
import { NotFoundError } from "../errors.ts";
import type { Log } from "../log.ts";
import type { Store } from "../store/database.ts";
import { type ModelEvent, modelLog } from "../service/model_log.ts";
import { modelEventJson } from "../cli/json_shapes.ts";
import { shortChecksum } from "../cli/tables.ts";
import { type Html, html } from "./html.ts";
import { dataTable, type Links, type Page, pagerLinks } from "./page_parts.ts";

/** Changes of a model on one page of its history. */
export const MODEL_EVENTS_PAGE_SIZE = 50;

// modelLog warns when the model is in no step; the page says so as a 404 instead.
const QUIET: Log = { debug() {}, info() {}, warn() {}, error() {} };

/** Page `page` of a model's history in a pipeline (only its versions in `stepName`, if given). */
export async function modelPage(
  store: Store,
  links: Links,
  options: { pipeline: string; modelName: string; stepName: string | null; page: number },
): Promise<Page> {
  const { pipeline, modelName, stepName, page } = options;
  const limit = page * MODEL_EVENTS_PAGE_SIZE + 1;
  const all = await modelLog(store, { pipeline, modelName, stepName, limit }, QUIET);
  const events = all.slice((page - 1) * MODEL_EVENTS_PAGE_SIZE, page * MODEL_EVENTS_PAGE_SIZE);
  if (events.length === 0) {
    const where = stepName === null ? "" : `${stepName.toUpperCase()} `;
    throw new NotFoundError(
      page === 1
        ? `Model "${modelName}" is in no ${where}step of pipeline "${pipeline}": check its name`
        : `Model "${modelName}" has no page ${page} of changes: see its first page`,
    );
  }
  const hasNextPage = all.length > page * MODEL_EVENTS_PAGE_SIZE;
  const pageLink = (n: number) => {
    const link = links.model(pipeline, modelName, stepName ?? undefined) ?? "";
    return n === 1 ? link : `${link}${link.includes("?") ? "&" : "?"}page=${n}`;
  };
  const body = html`<h1>Model <span class="name">${modelName}</span></h1>
<p>Its history in pipeline <a class="name" href="${links.pipeline(pipeline)}">${pipeline}</a>${
    stepName === null ? "" : html`, step <span class="name">${stepName.toUpperCase()}</span>`
  }, newest first: each execution in which it was added (A), modified (M), renamed (R) or
deleted (D), with its checksum before and after (page ${page}).</p>
${eventsTable(events, { links, pipeline, stepName })}
${pagerLinks(page, hasNextPage, pageLink)}`;
  const json = {
    model: modelName,
    pipeline,
    step: stepName?.toUpperCase() ?? null,
    page,
    page_size: MODEL_EVENTS_PAGE_SIZE,
    has_next_page: hasNextPage,
    changes: events.map(modelEventJson),
  };
  return { title: `Model ${modelName}`, body, json };
}

function eventsTable(
  events: readonly ModelEvent[],
  options: { links: Links; pipeline: string; stepName: string | null },
): Html {
  const renameCell = (e: ModelEvent) => {
    const other = e.renamedFrom ?? e.renamedTo;
    if (other === undefined) return "";
    const href = options.links.model(options.pipeline, other, options.stepName ?? undefined);
    const text = e.renamedFrom !== undefined ? "from " : "to ";
    return href === undefined
      ? html`${text}<span class="name">${other}</span>`
      : html`${text}<a class="name" href="${href}">${other}</a>`;
  };
  const rows = events.map((e) =>
    html`
      <tr>
        <td>${e.change}</td>
        <td><a href="${options.links.execution(e.executionId)}"><code>${e
          .executionId}</code></a></td>
        <td class="${e.status}">${e.status}</td>
        <td>${e.completedOn ?? "-"}</td>
        <td class="name">${e.stepName}</td>
        <td><code title="${e.before ?? ""}">${shortChecksum(e.before)}</code></td>
        <td><code title="${e.after ?? ""}">${shortChecksum(e.after)}</code></td>
        <td>${renameCell(e)}</td>
      </tr>
    `
  );
  return dataTable("model-log", [
    "Change",
    "Execution",
    "Status",
    "Completed",
    "Step",
    "Before",
    "After",
    "Rename",
  ], rows);
}
