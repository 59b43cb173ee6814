/**
 * The pipeline page's three charts over the executions it lists: duration per execution coloured
 * by status, then rows processed and changed models, each bar stacked by step.
 */
import type { ExecutionRow } from "../store/executions.ts";
import type { StepMetricsRow } from "../service/change_pages.ts";
import { type Html, html } from "./html.ts";
import { countText, duration, type Links } from "./page_parts.ts";
import { type Bar, barChart, legend, STATUS_COLOURS, STEP_COLOURS } from "./svg_chart.ts";

/** The charts with their headings and legends; `executions` newest first, as listed. */
export function pipelineCharts(
  executions: readonly ExecutionRow[],
  metrics: readonly StepMetricsRow[],
  links: Links,
): Html {
  const oldestFirst = executions.toReversed();
  const durations = oldestFirst.map((e): Bar => {
    const label = `${e.started_on} ${e.execution_id}`;
    const ms = e.completed_on === null ? null : Number(e.execution_time_ms ?? 0);
    return {
      href: links.execution(e.execution_id),
      segments: ms === null ? [] : [{
        value: ms,
        fill: STATUS_COLOURS[e.status] ?? "#9e9e9e",
        title: `${label}: ${e.status}, ${duration(String(ms))}`,
      }],
      pendingTitle: `${label}: ${e.status}, running`,
    };
  });
  const stepNames = [...new Set(metrics.map((m) => m.step_name.toUpperCase()))].sort();
  const stepColour = (name: string) =>
    STEP_COLOURS[stepNames.indexOf(name.toUpperCase()) % STEP_COLOURS.length];
  const stepLegend = legend(stepNames.map((name) => [name, stepColour(name)]));
  const stacked = (figure: (m: StepMetricsRow) => string | null, unit: string) =>
    barChart(oldestFirst.map((e) => stepBar(e, metrics, { figure, unit, links, stepColour })), {
      description: `${unit} per execution and step, oldest first`,
      formatValue: (value) => countText(value),
    });
  return html`
    <h2>Duration per execution, oldest first</h2>
    ${barChart(durations, {
      description: "Duration per execution, oldest first",
      formatValue: (ms) => duration(String(ms)),
    })}
    ${legend(Object.entries(STATUS_COLOURS))}
    <h2>Rows processed per step</h2>
    ${stacked((m) => m.rows_processed, "Rows processed")}
    ${stepLegend}
    <h2>Changed models per step (against the earlier successful run)</h2>
    ${stacked((m) => m.changed_models, "Changed models")}
    ${stepLegend}
  `;
}

/** One execution's bar: a segment a step that has the figure. */
function stepBar(
  execution: ExecutionRow,
  metrics: readonly StepMetricsRow[],
  options: {
    figure: (m: StepMetricsRow) => string | null;
    unit: string;
    links: Links;
    stepColour: (name: string) => string;
  },
): Bar {
  const label = `${execution.started_on} ${execution.execution_id}`;
  const steps = metrics.filter((m) => m.execution_id === execution.execution_id);
  return {
    href: options.links.execution(execution.execution_id),
    segments: steps.filter((m) => options.figure(m) !== null).map((m) => ({
      value: Number(options.figure(m)),
      fill: options.stepColour(m.step_name),
      title: `${label}: ${m.step_name}, ${
        countText(options.figure(m))
      } ${options.unit.toLowerCase()}`,
    })),
    pendingTitle: `${label}: no ${options.unit.toLowerCase()} recorded`,
  };
}
