/** ui: read-only web pages over the store (pipelines, executions, change sets), or their files. */
import type { Command } from "../parser.ts";
import type { CliContext } from "../context.ts";
import { UsageError } from "../../errors.ts";
import { parseSeconds } from "../arguments.ts";

const DEFAULT_PORT = 8765;

export function registerUi(program: Command, cli: CliContext): void {
  program.command("ui")
    .description(
      "Serve read-only pages of the pipelines' history (HTML, and JSON with ?format=json) " +
        "until Ctrl-C; prints the URL",
    )
    .option("--port <n>", `the port (0: any free one)`, String(DEFAULT_PORT))
    .option("--host <address>", "the address to listen on (the pages have no login)", "127.0.0.1")
    .option("--open", "open the pages in the browser (xdg-open, open or start)")
    .option("--export <dir>", "write the pages as files into this folder instead of serving")
    .action(async (options: { port: string; host: string; open?: boolean; export?: string }) => {
      const port = parsePort(options.port);
      const hostname = options.host.trim();
      if (options.export !== undefined) {
        if (options.open) {
          throw new UsageError("--open serves the pages, --export writes them: give one of them");
        }
        const folder = options.export;
        const { exportPages } = await import("../../ui/export.ts");
        const written = await cli.withStore((store) => exportPages(store, folder));
        cli.print(`${written} ${written === 1 ? "page" : "pages"} written to ${folder}`);
        return;
      }
      if (!isLoopback(hostname)) {
        cli.log.warn(
          `Listening on "${hostname}", beyond this machine: the pages have no login, anyone who ` +
            "reaches the port reads every pipeline's history",
        );
      }
      const { serveUi } = await import("../../ui/server.ts");
      const { openInBrowser } = await import("../../ui/open_browser.ts");
      const onListen = (url: string) => {
        cli.print(url);
        if (options.open) openInBrowser(url, cli.log);
      };
      const { storeFailureLine } = await import("../store_errors.ts");
      const target = cli.target();
      const timeout = parseSeconds(cli.globals.statementTimeout, "--statement-timeout");
      const describeError = (error: unknown) => storeFailureLine(error, target, timeout);
      await cli.withStore((store) =>
        serveUi(store, { hostname, port, log: cli.log, onListen, describeError })
      );
    });
}

function parsePort(text: string): number {
  if (!/^\d{1,5}$/.test(text) || Number(text) > 65535) {
    throw new UsageError(`--port "${text}" is not a port number from 0 to 65535`);
  }
  return Number(text);
}

/** 127.0.0.0/8, ::1 and localhost: addresses only this machine reaches. */
export function isLoopback(hostname: string): boolean {
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname) || hostname === "::1" ||
    hostname === "[::1]" || hostname.toLowerCase() === "localhost";
}
