/**
 * Requests to pages: GET and HEAD only, every response with a strict Content-Security-Policy
 * and nosniff, `?format=json` for the same data as JSON. The store stays open across requests.
 */
import { NotFoundError, UsageError } from "../errors.ts";
import type { Log } from "../log.ts";
import type { Store } from "../store/database.ts";
import { parseExecutionId } from "../cli/arguments.ts";
import { parseStepName } from "../cli/arguments.ts";
import type { ChangePageCache } from "../service/change_pages.ts";
import { changePageCache } from "./change_page_cache.ts";
import { executionPage } from "./execution_page.ts";
import { CONTENT_SECURITY_POLICY, layout } from "./layout.ts";
import { modelPage } from "./model_page.ts";
import type { Links, Page } from "./page_parts.ts";
import { pipelinePage } from "./pipeline_page.ts";
import { pipelinesPage } from "./pipelines_page.ts";

// A name read from non-UTF-8 bytes may hold a lone surrogate, which encodeURIComponent refuses.
const segment = (name: string) => encodeURIComponent(name.toWellFormed());

/**
 * The server's URLs: `/`, `/pipelines/<name>`, `/pipelines/<name>/models/<model>[?step=S]`,
 * `/executions/<id>`, each with `?page=N`.
 */
export const SERVER_LINKS: Links = {
  home: () => "/",
  pipeline: (name, page = 1) => `/pipelines/${segment(name)}${page === 1 ? "" : `?page=${page}`}`,
  execution: (executionId, page = 1) =>
    `/executions/${executionId}${page === 1 ? "" : `?page=${page}`}`,
  model: (pipeline, modelName, stepName) =>
    `/pipelines/${segment(pipeline)}/models/${segment(modelName)}${
      stepName === undefined ? "" : `?step=${segment(stepName)}`
    }`,
  searchable: true,
};

const SECURITY_HEADERS = {
  "content-security-policy": CONTENT_SECURITY_POLICY,
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
  "cache-control": "no-store",
};

/** Which page a path names, or undefined. */
export async function renderPath(
  store: Store,
  links: Links,
  url: URL,
  cache: ChangePageCache,
): Promise<Page | undefined> {
  const page = pageNumber(url.searchParams.get("page"));
  const path = url.pathname;
  if (path === "/") return await pipelinesPage(store, links);
  const pipeline = path.match(/^\/pipelines\/([^/]+)$/);
  if (pipeline) {
    return await pipelinePage(store, links, { pipeline: decodeURIComponent(pipeline[1]), page });
  }
  const model = path.match(/^\/pipelines\/([^/]+)\/models\/([^/]+)$/);
  if (model) {
    const step = url.searchParams.get("step");
    return await modelPage(store, links, {
      pipeline: decodeURIComponent(model[1]),
      modelName: decodeURIComponent(model[2]),
      stepName: step === null || step === "" ? null : parseStepName(step),
      page,
    });
  }
  const execution = path.match(/^\/executions\/([^/]+)$/);
  if (execution) {
    return await executionPage(store, links, {
      executionId: parseExecutionId(decodeURIComponent(execution[1])),
      page,
      search: url.searchParams.get("q") ?? "",
      cache,
    });
  }
  return undefined;
}

/** The request handler `Deno.serve` calls. */
export function createHandler(
  store: Store,
  { log, describeError }: { log: Log; describeError(error: unknown): string },
): (request: Request) => Promise<Response> {
  const cache = changePageCache();
  return async (request) => {
    if (request.method !== "GET" && request.method !== "HEAD") {
      return respond(request, 405, "text/plain; charset=utf-8", "Only GET and HEAD\n", {
        allow: "GET, HEAD",
      });
    }
    const url = new URL(request.url);
    const json = url.searchParams.get("format") === "json";
    try {
      const page = await renderPath(store, SERVER_LINKS, url, cache);
      if (page === undefined) throw new NotFoundError(`No page at "${url.pathname}"`);
      return json
        ? respond(request, 200, "application/json", JSON.stringify(page.json))
        : respond(request, 200, "text/html; charset=utf-8", pageHtml(page));
    } catch (error) {
      const status = error instanceof NotFoundError
        ? 404
        : error instanceof UsageError || error instanceof URIError
        ? 400
        : 500;
      const message = status === 500
        ? "The store could not answer: see dpo ui's log"
        : (error as Error).message;
      if (status === 500) {
        log.error(`${request.method} ${url.pathname}: ${describeError(error)}`);
      }
      return json
        ? respond(request, status, "application/json", JSON.stringify({ error: message }))
        : respond(request, status, "text/plain; charset=utf-8", `${message}\n`);
    }
  };
}

function pageHtml(page: Page): string {
  return layout(page.title, SERVER_LINKS.home(), page.body).text;
}

function respond(
  request: Request,
  status: number,
  contentType: string,
  body: string,
  extraHeaders: Record<string, string> = {},
): Response {
  return new Response(request.method === "HEAD" ? null : body, {
    status,
    headers: { ...SECURITY_HEADERS, "content-type": contentType, ...extraHeaders },
  });
}

function pageNumber(text: string | null): number {
  if (text === null || text === "") return 1;
  if (!/^\d{1,6}$/.test(text) || Number(text) < 1) {
    throw new UsageError(`Page "${text}" is not a whole number from 1`);
  }
  return Number(text);
}
