/**
 * The pipeline page's three charts over the executions it lists: duration per execution coloured
 * by status, then rows processed and changed models, each bar stacked by step.
 */
import type { ExecutionWithTotals, StepMetrics } from "../domain.ts";
import { type Html, html } from "./html.ts";
import { countText, duration, type Links } from "./page_parts.ts";
import { type Bar, barChart, legend, STATUS_COLOURS, STEP_COLOURS } from "./svg_chart.ts";

/** The charts with their headings and legends; `executions` newest first, as listed. */
export function pipelineCharts(
  executions: readonly ExecutionWithTotals[],
  metrics: readonly StepMetrics[],
  links: Links,
): Html {
  const oldestFirst = executions.toReversed();
  const durations = oldestFirst.map((e): Bar => {
    const label = `${e.startedOn} ${e.executionId}`;
    const ms = e.completedOn === null ? null : Number(e.executionTimeMs ?? 0);
    return {
      href: links.execution(e.executionId),
      segments: ms === null ? [] : [{
        value: ms,
        fill: STATUS_COLOURS[e.status] ?? "#9e9e9e",
        title: `${label}: ${e.status}, ${duration(String(ms))}`,
      }],
      pendingTitle: `${label}: ${e.status}, running`,
    };
  });
  const stepNames = [...new Set(metrics.map((m) => m.stepName.toUpperCase()))].sort();
  const stepColour = (name: string) =>
    STEP_COLOURS[stepNames.indexOf(name.toUpperCase()) % STEP_COLOURS.length];
  const stepLegend = legend(stepNames.map((name) => [name, stepColour(name)]));
  const stacked = (figure: (m: StepMetrics) => bigint | null, unit: string) =>
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
    ${stacked((m) => m.rowsProcessed, "Rows processed")}
    ${stepLegend}
    <h2>Changed models per step (against the earlier successful run)</h2>
    ${stacked((m) => m.changedModels, "Changed models")}
    ${stepLegend}
  `;
}

/** One execution's bar: a segment a step that has the figure. */
function stepBar(
  execution: ExecutionWithTotals,
  metrics: readonly StepMetrics[],
  options: {
    figure: (m: StepMetrics) => bigint | null;
    unit: string;
    links: Links;
    stepColour: (name: string) => string;
  },
): Bar {
  const label = `${execution.startedOn} ${execution.executionId}`;
  const steps = metrics.filter((m) => m.executionId === execution.executionId);
  return {
    href: options.links.execution(execution.executionId),
    segments: steps.filter((m) => options.figure(m) !== null).map((m) => ({
      value: Number(options.figure(m)),
      fill: options.stepColour(m.stepName),
      title: `${label}: ${m.stepName}, ${
        countText(options.figure(m))
      } ${options.unit.toLowerCase()}`,
    })),
    pendingTitle: `${label}: no ${options.unit.toLowerCase()} recorded`,
  };
}
