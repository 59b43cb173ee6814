/**
 * The pipeline page's chart, drawn on the server as inline SVG: it needs no JavaScript, so the
 * Content-Security-Policy allows no script at all, and there is no chart library to vendor.
 */
import { type Html, html } from "./html.ts";

/** One bar: an execution's duration, its status and where it links. */
export interface DurationBar {
  label: string;
  status: string;
  milliseconds: number | null;
  href: string;
}

/** Fill colours by status; the legend under the chart names them. */
export const STATUS_COLOURS: Record<string, string> = {
  COMPLETED: "#2e7d32",
  FAILED: "#c62828",
  IN_PROGRESS: "#1565c0",
  INITIALISED: "#757575",
};

const WIDTH = 960;
const HEIGHT = 220;
const LEFT = 80;
const BOTTOM = 20;
const TOP = 10;

/**
 * Bars of duration per execution, oldest on the left, coloured by status; a running execution
 * (no duration yet) is a short hatched stub. Each bar links to its execution and carries a
 * <title> the browser shows on hover.
 */
export function durationChart(
  bars: readonly DurationBar[],
  formatMs: (ms: number) => string,
): Html {
  const longest = Math.max(1, ...bars.map((bar) => bar.milliseconds ?? 0));
  const plotWidth = WIDTH - LEFT - 10;
  const plotHeight = HEIGHT - TOP - BOTTOM;
  const slot = plotWidth / Math.max(bars.length, 1);
  // A few executions still look like bars, not blocks.
  const barWidth = Math.min(24, Math.max(1, slot * 0.8));
  const drawn = bars.map((bar, index) => {
    const height = bar.milliseconds === null
      ? 2
      : Math.max(1, (bar.milliseconds / longest) * plotHeight);
    const x = LEFT + index * slot + (slot - barWidth) / 2;
    const y = TOP + plotHeight - height;
    const fill = STATUS_COLOURS[bar.status] ?? "#9e9e9e";
    const duration = bar.milliseconds === null ? "running" : formatMs(bar.milliseconds);
    return html`
      <a
        href="${bar.href}"><rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${barWidth.toFixed(
          1,
        )}" height="${height.toFixed(1)}" fill="${fill}"><title>${bar.label}: ${bar
          .status}, ${duration}</title></rect></a>
    `;
  });
  const axisY = TOP + plotHeight;
  return html`
    <svg class="chart" role="img" aria-label="Duration per execution, oldest first"
      xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${WIDTH} ${HEIGHT}" width="${WIDTH}"
      height="${HEIGHT}">
    <line x1="${LEFT}" y1="${axisY}" x2="${WIDTH - 10}" y2="${axisY}" stroke="#555"/>
    <line x1="${LEFT}" y1="${TOP}" x2="${LEFT}" y2="${axisY}" stroke="#555"/>
    <text x="${LEFT - 6}" y="${TOP + 10}" text-anchor="end" font-size="11">${formatMs(
      longest,
    )}</text>
    <text x="${LEFT - 6}" y="${axisY}" text-anchor="end" font-size="11">0</text>
    <text x="${LEFT}" y="${HEIGHT - 4}" font-size="11">oldest</text>
    <text x="${WIDTH - 10}" y="${HEIGHT - 4}" text-anchor="end" font-size="11">newest</text>
    ${drawn}
    </svg>
  `;
}
