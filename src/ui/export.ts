/**
 * `dpo ui --export <dir>`: the server's pages as files in one folder, linked to each other by
 * relative names, each beside its JSON, for a CI job to publish as an artifact of its run.
 */
import { createHash } from "node:crypto";
import type { Store } from "../store/database.ts";
import { pipelineOverview } from "../service/history.ts";
import { changePageCache } from "./change_page_cache.ts";
import { executionPage } from "./execution_page.ts";
import { layout } from "./layout.ts";
import type { Links, Page } from "./page_parts.ts";
import { pipelinePage } from "./pipeline_page.ts";
import { pipelinesPage } from "./pipelines_page.ts";

/**
 * A pipeline's file name: its name's safe characters (a pipeline name may hold "/", "..",
 * markup and more than a file name's 255 bytes once escaped) and a hash that keeps it unique.
 */
function pipelineFile(name: string, page: number): string {
  const safe = name.replace(/[^A-Za-z0-9._-]/g, "_").slice(0, 40);
  const hash = createHash("sha256").update(name).digest("hex").slice(0, 10);
  return `pipeline-${safe}-${hash}${page === 1 ? "" : `-page-${page}`}.html`;
}

/** The exported files' names, relative to each other in one folder. */
export const EXPORT_LINKS: Links = {
  home: () => "index.html",
  pipeline: (name, page = 1) => encodeURIComponent(pipelineFile(name, page)),
  execution: (executionId, page = 1) =>
    `execution-${executionId}${page === 1 ? "" : `-page-${page}`}.html`,
  // A model page for every changed model of every execution would be a file each: the export
  // lists the names without a link.
  model: () => undefined,
  searchable: false,
};

/**
 * Writes the pipelines page, every page of each pipeline and every page of each execution they
 * list, each as `<name>.html` and `<name>.json`; returns how many pages it wrote.
 */
export async function exportPages(store: Store, folder: string): Promise<number> {
  await Deno.mkdir(folder, { recursive: true });
  let written = 0;
  const cache = changePageCache();
  const write = async (file: string, page: Page) => {
    await Deno.writeTextFile(`${folder}/${file}`, layout(page.title, "index.html", page.body).text);
    await Deno.writeTextFile(
      `${folder}/${file.replace(/\.html$/, ".json")}`,
      JSON.stringify(page.json),
    );
    written++;
  };
  await write("index.html", await pipelinesPage(store, EXPORT_LINKS));
  for (const { pipeline } of await pipelineOverview(store)) {
    for (let page = 1;; page++) {
      const listing = await pipelinePage(store, EXPORT_LINKS, { pipeline, page });
      await write(pipelineFile(pipeline, page), listing);
      const { executions, has_next_page } = listing.json as {
        executions: { execution_id: string }[];
        has_next_page: boolean;
      };
      for (const { execution_id: executionId } of executions) {
        for (let changesPage = 1;; changesPage++) {
          const detail = await executionPage(store, EXPORT_LINKS, {
            executionId,
            page: changesPage,
            search: "",
            cache,
          });
          await write(EXPORT_LINKS.execution(executionId, changesPage), detail);
          if (!(detail.json as { has_next_page: boolean }).has_next_page) break;
        }
      }
      if (!has_next_page) break;
    }
  }
  return written;
}
