/**
 * The pipeline page's charts, drawn on the server as inline SVG: they need no JavaScript, so the
 * Content-Security-Policy allows no script at all, and there is no chart library to vendor.
 */
import { type Html, html } from "./html.ts";

/** One part of a bar: its value, colour and the text the browser shows on hover. */
export interface BarSegment {
  value: number;
  fill: string;
  title: string;
}

/** One bar: an execution, where it links and its segments, stacked from the axis up. */
export interface Bar {
  href: string;
  segments: readonly BarSegment[];
  /** Hover text of a bar with no value yet (a running execution): a short grey stub. */
  pendingTitle: string;
}

/** Fill colours by status; the legend under the duration chart names them. */
export const STATUS_COLOURS: Record<string, string> = {
  COMPLETED: "#2e7d32",
  FAILED: "#c62828",
  IN_PROGRESS: "#1565c0",
  INITIALISED: "#757575",
};

/** Colours of steps in the stacked charts, in turn (the Okabe-Ito palette, told apart by all). */
export const STEP_COLOURS = [
  "#0072b2",
  "#e69f00",
  "#009e73",
  "#cc79a7",
  "#56b4e9",
  "#d55e00",
  "#f0e442",
  "#000000",
];

const WIDTH = 960;
const HEIGHT = 200;
const LEFT = 80;
const BOTTOM = 20;
const TOP = 10;
const PLOT_WIDTH = WIDTH - LEFT - 10;
const PLOT_HEIGHT = HEIGHT - TOP - BOTTOM;

/**
 * Bars oldest on the left, each a link to its execution, its segments stacked and scaled to the
 * highest bar; every segment carries a <title> the browser shows on hover.
 */
export function barChart(
  bars: readonly Bar[],
  options: { description: string; formatValue: (value: number) => string },
): Html {
  const total = (bar: Bar) => bar.segments.reduce((sum, s) => sum + s.value, 0);
  const highest = Math.max(1, ...bars.map(total));
  const slot = PLOT_WIDTH / Math.max(bars.length, 1);
  // A few executions still look like bars, not blocks.
  const barWidth = Math.min(24, Math.max(1, slot * 0.8));
  const drawn = bars.map((bar, index) => {
    const x = (LEFT + index * slot + (slot - barWidth) / 2).toFixed(1);
    const rect = (y: number, height: number, fill: string, title: string) =>
      html`
        <rect x="${x}" y="${y.toFixed(1)}" width="${barWidth.toFixed(1)}" height="${height.toFixed(
          1,
        )}" fill="${fill}">
          <title>${title}</title>
        </rect>
      `;
    let top = TOP + PLOT_HEIGHT;
    const segments = bar.segments.filter((s) => s.value > 0).map((segment) => {
      const height = Math.max(1, (segment.value / highest) * PLOT_HEIGHT);
      top -= height;
      return rect(top, height, segment.fill, segment.title);
    });
    const shown = segments.length > 0 ? segments : [rect(top - 2, 2, "#9e9e9e", bar.pendingTitle)];
    return html`<a href="${bar.href}">${shown}</a>`;
  });
  const axisY = TOP + PLOT_HEIGHT;
  return html`
    <svg class="chart" role="img" aria-label="${options.description}"
      xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${WIDTH} ${HEIGHT}" width="${WIDTH}"
      height="${HEIGHT}">
    <line x1="${LEFT}" y1="${axisY}" x2="${WIDTH - 10}" y2="${axisY}" stroke="#555"/>
    <line x1="${LEFT}" y1="${TOP}" x2="${LEFT}" y2="${axisY}" stroke="#555"/>
    <text x="${LEFT - 6}" y="${TOP + 10}" text-anchor="end" font-size="11">${options.formatValue(
      highest,
    )}</text>
    <text x="${LEFT - 6}" y="${axisY}" text-anchor="end" font-size="11">0</text>
    <text x="${LEFT}" y="${HEIGHT - 4}" font-size="11">older</text>
    <text x="${WIDTH - 10}" y="${HEIGHT - 4}" text-anchor="end" font-size="11">newer</text>
    ${drawn}
    </svg>
  `;
}

/** A legend: a colour swatch and its name for each entry. */
export function legend(entries: readonly [name: string, colour: string][]): Html {
  return html`<p class="legend">${
    entries.map(([name, colour]) =>
      html`<span><svg width="10" height="10"><rect width="10" height="10" fill="${colour}"/></svg> <span class="name">${name}</span></span>`
    )
  }</p>`;
}
