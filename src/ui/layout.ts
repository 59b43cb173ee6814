/** The frame of every page: one inline stylesheet, allowed by its hash, and no script. */
import { createHash } from "node:crypto";
import { Html, html } from "./html.ts";

const STYLE = `body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222}
table{border-collapse:collapse;margin:.5em 0 1.5em}th,td{padding:.25em .6em;border-bottom:1px solid #ddd;text-align:left;vertical-align:top}
td.n{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}code,.name{font-family:ui-monospace,monospace;white-space:pre-wrap;word-break:break-all}
.COMPLETED{color:#2e7d32}.FAILED{color:#c62828}.IN_PROGRESS{color:#1565c0}.INITIALISED{color:#757575}
nav a{margin-right:1em}.legend span{margin-right:1em}.muted{color:#666}`;

/** The Content-Security-Policy every response carries: no script, no frame, this stylesheet. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  `style-src 'sha256-${createHash("sha256").update(STYLE).digest("base64")}'`,
  "img-src 'self' data:",
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join("; ");

/** A whole document: title, a link home, the body; the stylesheet, a constant, goes in as is. */
export function layout(title: string, home: string, body: Html): Html {
  return html`
    <!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8">
        <title>${title} · dpo</title>
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <style>${new Html(STYLE)}</style>
      </head>
      <body><nav><a href="${home}">dpo · pipelines</a></nav>
    ${body}
      </body>
    </html>
  `;
}
