/** What every page shares: its shape, where it links, the pager and how a duration reads. */
import { formatCount } from "../cli/summaries.ts";
import { type Html, html } from "./html.ts";

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
  /** A model's history in a pipeline (only its versions in `stepName`, when given), or
   * undefined where there is no such page (the static export). */
  model(pipeline: string, modelName: string, stepName?: string): string | undefined;
  /** Whether a page can search (a server can; exported files cannot). */
  readonly searchable: boolean;
}

/** A table of class `className`: its column headings, then its rows (each an `<tr>`). */
export function dataTable(
  className: string,
  headings: readonly string[],
  rows: Html | readonly Html[],
): Html {
  return html`
    <table class="${className}">
      <thead>
        <tr>${headings.map((heading) => html`<th>${heading}</th>`)}</tr>
      </thead>
      <tbody>${rows}</tbody>
    </table>
  `;
}

/** "← newer" and "older →" links around page `page`. */
export function pagerLinks(page: number, hasNext: boolean, link: (page: number) => string): Html {
  return html`<p class="pager">${
    page > 1
      ? html`
        <a rel="prev" href="${link(page - 1)}">← newer</a>
      `
      : ""
  }${hasNext ? html`<a rel="next" href="${link(page + 1)}">older →</a>` : ""}</p>`;
}

/** Milliseconds as `1.25 s` under a minute, `14m 05s` under an hour, else `2h 03m`. */
export function duration(milliseconds: bigint | number | string | null): string {
  if (milliseconds === null) return "-";
  const ms = Number(milliseconds);
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  const seconds = Math.floor(ms / 1000);
  const [h, m, s] = [Math.floor(seconds / 3600), Math.floor(seconds / 60) % 60, seconds % 60];
  const two = (n: number) => String(n).padStart(2, "0");
  return h === 0 ? `${m}m ${two(s)}s` : `${h}h ${two(m)}m`;
}

/** A count with thousands separators (`2,147,483,647`, exact for any bigint), "-" when unknown. */
export function countText(count: bigint | string | number | null): string {
  return count === null ? "-" : formatCount(typeof count === "string" ? BigInt(count) : count);
}
