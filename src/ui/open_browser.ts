/**
 * `dpo ui --open`: hands the served URL to the platform's opener (xdg-open, open, start), as
 * `jupyter notebook` and `mkdocs serve --open` do. The server keeps serving whatever happens: an
 * opener that is missing, not allowed or fails costs one warning line on stderr.
 */
import type { Log } from "../log.ts";

/** The program that opens a URL in the user's browser on this platform, and its arguments. */
export function browserOpener(
  os: typeof Deno.build.os = Deno.build.os,
): { command: string; args: (url: string) => string[] } {
  if (os === "darwin") return { command: "open", args: (url) => [url] };
  // start is built into cmd; the empty "" is the window title start would take the URL for.
  if (os === "windows") return { command: "cmd", args: (url) => ["/c", "start", '""', url] };
  return { command: "xdg-open", args: (url) => [url] };
}

/** Starts the opener on `url` without waiting for it; warns once if it cannot run or fails. */
export function openInBrowser(url: string, log: Log): void {
  const opener = browserOpener();
  const cannot = (why: string) =>
    log.warn(`Cannot open a browser: ${why}; open ${url} yourself (the pages are being served)`);
  if (Deno.permissions.querySync({ name: "run", command: opener.command }).state !== "granted") {
    cannot(`dpo may not run "${opener.command}" (run it with --allow-run=${opener.command})`);
    return;
  }
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(opener.command, {
      args: opener.args(url),
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
  } catch (error) {
    cannot(
      error instanceof Deno.errors.NotFound
        ? `"${opener.command}" is not on PATH`
        : `"${opener.command}" did not start (${(error as Error).message})`,
    );
    return;
  }
  child.status.then((status) => {
    if (!status.success) cannot(`"${opener.command}" exited with code ${status.code}`);
  });
}
