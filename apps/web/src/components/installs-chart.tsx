"use client";

import { formatCount } from "~/lib/format";

type Day = { day: string; succeeded: number; failed: number };

const height = 160;
const barGap = 4;
/** Room on the left for the y-axis' counts. */
const axisWidth = 26;

/** Stacked bars of finished installs per day: succeeded below, failed on top. Plain SVG, no library. */
export function InstallsChart({ days }: { days: Day[] }) {
  const max = Math.max(1, ...days.map((day) => day.succeeded + day.failed));
  const width = Math.max(days.length * 28, 280) + axisWidth;
  const barWidth = (width - axisWidth) / days.length - barGap;
  const ticks = [...new Set([0, Math.round(max / 2), max])];
  // Counted back from today, so today always has its label.
  const labelEvery = Math.ceil(days.length / 7);
  const scale = (count: number) => (count / max) * (height - 20);
  const succeeded = days.reduce((sum, day) => sum + day.succeeded, 0);
  const failed = days.reduce((sum, day) => sum + day.failed, 0);
  const finished = succeeded + failed;
  return (
    <figure className="chart">
      <svg
        viewBox={`0 0 ${width} ${height + 18}`}
        role="img"
        aria-label={`Installs over the last ${days.length} days: ${succeeded} succeeded, ${failed} failed`}
        preserveAspectRatio="none"
      >
        <line x1={axisWidth} x2={width} y1={height} y2={height} className="chart-axis" />
        <line x1={axisWidth} x2={axisWidth} y1={20} y2={height} className="chart-axis" />
        {ticks.map((tick) => (
          <text
            key={tick}
            x={axisWidth - 4}
            y={height - scale(tick) + 3}
            textAnchor="end"
            className="chart-label"
          >
            {formatCount(tick)}
          </text>
        ))}
        {days.map((day, index) => {
          const x = axisWidth + index * (barWidth + barGap) + barGap / 2;
          const isToday = index === days.length - 1;
          const okHeight = scale(day.succeeded);
          const badHeight = scale(day.failed);
          return (
            <g key={day.day}>
              <title>{`${day.day}: ${day.succeeded} succeeded, ${day.failed} failed`}</title>
              <rect x={x} y={height - okHeight} width={barWidth} height={okHeight} className="chart-ok" />
              <rect
                x={x}
                y={height - okHeight - badHeight}
                width={barWidth}
                height={badHeight}
                className="chart-bad"
              />
              {(days.length - 1 - index) % labelEvery === 0 ? (
                <text
                  x={isToday ? x + barWidth : x + barWidth / 2}
                  y={height + 14}
                  textAnchor={isToday ? "end" : "middle"}
                  className="chart-label"
                >
                  {isToday ? "today" : day.day.slice(5)}
                </text>
              ) : null}
            </g>
          );
        })}
      </svg>
      <figcaption className="chart-legend">
        <span>
          <span className="swatch chart-ok" aria-hidden="true" /> {formatCount(succeeded)} succeeded
        </span>
        <span>
          <span className="swatch chart-bad" aria-hidden="true" /> {formatCount(failed)} failed
        </span>
        <span className="muted">
          {finished === 0
            ? "No installs finished in this period"
            : `success rate ${((succeeded / finished) * 100).toFixed(1)}%`}
        </span>
      </figcaption>
    </figure>
  );
}
