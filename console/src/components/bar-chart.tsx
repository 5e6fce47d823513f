import { useState } from 'react';
import { shortDay } from '../format.ts';
import { useWidth } from './use-width.ts';

export interface Series {
  name: string;
  color: string;
  /** One value per date. */
  values: number[];
}

const HEIGHT = 240;
const MARGIN = { top: 12, right: 12, bottom: 28, left: 64 };

/** 1, 2, 5 × 10^n steps: about four gridlines whatever the scale. */
function niceMaximum(value: number): { top: number; step: number } {
  if (value <= 0) return { top: 1, step: 0.25 };
  const rough = value / 4;
  const power = 10 ** Math.floor(Math.log10(rough));
  const step =
    [1, 2, 2.5, 5, 10].map((factor) => factor * power).find((candidate) => candidate >= rough) ??
    rough;
  return { top: Math.ceil(value / step) * step, step };
}

/**
 * Stacked daily bars drawn in SVG at the container's width. Each day is a focusable group (keyboard users
 * get the same readout as the hover tooltip); the legend names the series.
 */
export function StackedBarChart({
  dates,
  series,
  format,
  label,
}: {
  dates: string[];
  series: Series[];
  format: (value: number) => string;
  label: string;
}) {
  const { ref, width } = useWidth<HTMLDivElement>(640);
  const [active, setActive] = useState<number>();
  const totals = dates.map((_, index) =>
    series.reduce((sum, entry) => sum + (entry.values[index] ?? 0), 0),
  );
  const { top, step } = niceMaximum(Math.max(0, ...totals));
  const plotWidth = Math.max(40, width - MARGIN.left - MARGIN.right);
  const plotHeight = HEIGHT - MARGIN.top - MARGIN.bottom;
  const slot = plotWidth / Math.max(1, dates.length);
  const barWidth = Math.max(2, Math.min(48, slot * 0.7));
  const y = (value: number): number => MARGIN.top + plotHeight - (value / top) * plotHeight;
  const ticks = Array.from({ length: Math.round(top / step) + 1 }, (_, index) => index * step);
  const labelEvery = Math.ceil(dates.length / Math.max(1, Math.floor(plotWidth / 56)));
  const activeDate = active === undefined ? undefined : dates[active];

  return (
    <div className="chart" ref={ref}>
      <svg width={width} height={HEIGHT} role="group" aria-label={label}>
        {ticks.map((tick) => (
          <g key={tick}>
            <line
              className="chart-grid"
              x1={MARGIN.left}
              x2={MARGIN.left + plotWidth}
              y1={y(tick)}
              y2={y(tick)}
            />
            <text
              className="chart-axis"
              x={MARGIN.left - 8}
              y={y(tick)}
              dy="0.32em"
              textAnchor="end"
            >
              {format(tick)}
            </text>
          </g>
        ))}
        {dates.map((date, index) => {
          const x = MARGIN.left + slot * index + (slot - barWidth) / 2;
          let base = 0;
          const summary = series
            .filter((entry) => (entry.values[index] ?? 0) > 0)
            .map((entry) => `${entry.name} ${format(entry.values[index] ?? 0)}`)
            .join(', ');
          return (
            <g
              key={date}
              className={`chart-day ${active === index ? 'is-active' : ''}`}
              tabIndex={0}
              role="img"
              aria-label={`${shortDay(date)}: ${format(totals[index] ?? 0)}${summary === '' ? '' : ` (${summary})`}`}
              onMouseEnter={() => setActive(index)}
              onMouseLeave={() => setActive(undefined)}
              onFocus={() => setActive(index)}
              onBlur={() => setActive(undefined)}
            >
              <rect
                className="chart-hover"
                x={MARGIN.left + slot * index}
                y={MARGIN.top}
                width={slot}
                height={plotHeight}
              />
              {series.map((entry) => {
                const value = entry.values[index] ?? 0;
                if (value <= 0) return null;
                const rectangle = (
                  <rect
                    key={entry.name}
                    x={x}
                    y={y(base + value)}
                    width={barWidth}
                    height={Math.max(1, y(base) - y(base + value))}
                    fill={entry.color}
                    rx={2}
                  />
                );
                base += value;
                return rectangle;
              })}
              {index % labelEvery === 0 ? (
                <text
                  className="chart-axis"
                  x={x + barWidth / 2}
                  y={HEIGHT - 8}
                  textAnchor="middle"
                >
                  {shortDay(date)}
                </text>
              ) : null}
            </g>
          );
        })}
        <line
          className="chart-baseline"
          x1={MARGIN.left}
          x2={MARGIN.left + plotWidth}
          y1={y(0)}
          y2={y(0)}
        />
      </svg>
      {active === undefined || activeDate === undefined ? null : (
        <div
          className="chart-tooltip"
          style={{
            left: Math.min(width - 200, Math.max(0, MARGIN.left + slot * active + slot / 2 - 100)),
          }}
          aria-hidden="true"
        >
          <strong>
            {shortDay(activeDate)} · {format(totals[active] ?? 0)}
          </strong>
          {series
            .filter((entry) => (entry.values[active] ?? 0) > 0)
            .map((entry) => (
              <span key={entry.name}>
                <i style={{ background: entry.color }} />
                {entry.name}: {format(entry.values[active] ?? 0)}
              </span>
            ))}
        </div>
      )}
      <ul className="chart-legend" aria-label="Legend">
        {series.map((entry) => (
          <li key={entry.name}>
            <i style={{ background: entry.color }} aria-hidden="true" />
            {entry.name}
          </li>
        ))}
      </ul>
    </div>
  );
}

export const PALETTE = [
  '#4f46e5',
  '#0ea5e9',
  '#10b981',
  '#f59e0b',
  '#ef4444',
  '#8b5cf6',
  '#14b8a6',
  '#ec4899',
];
export const OTHER_COLOR = '#94a3b8';
