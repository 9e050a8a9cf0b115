/**
 * Bar charts as inline SVG, drawn on the server: no chart library and no script (the pages' CSP allows
 * none inline, and a chart needs none). Each chart is an image with a text alternative (its title, the
 * total and the highest bar) and the same figures as a table behind a disclosure, so a screen reader or
 * a keyboard user reads every value. Colours come from the stylesheet (classes), never inline styles.
 */
import { attrs, html, type Html } from './html.ts';

export interface ChartPoint {
  /** The bar's full name (a table row, a tooltip): `2026-03-01 14:00 UTC`. */
  label: string;
  /** Its axis label, shown on every `tickEvery`-th bar: `14:00`, `03-01`. */
  short: string;
  value: number;
}

const WIDTH = 600;
const HEIGHT = 200;
const LEFT = 44;
const RIGHT = 8;
const TOP = 12;
const BOTTOM = 28;

/** The smallest of 1, 2, 5 × 10^k at or above `value` (at least 1): a round top for the axis. */
export function niceMax(value: number): number {
  if (value <= 1) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) if (step * power >= value) return step * power;
  return 10 * power;
}

function compact(n: number): string {
  if (n >= 1_000_000) return `${Math.round(n / 100_000) / 10}M`;
  if (n >= 10_000) return `${Math.round(n / 1000)}k`;
  return String(n);
}

export function barChart(options: {
  id: string;
  title: string;
  /** What a bar counts, plural (`activations`). */
  noun: string;
  points: readonly ChartPoint[];
  tickEvery: number;
}): Html {
  const { id, points } = options;
  const total = points.reduce((sum, p) => sum + p.value, 0);
  const top = niceMax(Math.max(0, ...points.map(p => p.value)));
  const highest = points.reduce<ChartPoint | null>(
    (best, p) => (best === null || p.value > best.value ? p : best),
    null,
  );
  const plotWidth = WIDTH - LEFT - RIGHT;
  const plotHeight = HEIGHT - TOP - BOTTOM;
  const slot = plotWidth / Math.max(points.length, 1);
  const barWidth = Math.max(1, slot * 0.7);
  const y = (v: number) => TOP + plotHeight - (v / top) * plotHeight;
  const summary =
    total === 0
      ? `No ${options.noun} in this period.`
      : `${total} ${options.noun} in total; the most, ${highest!.value}, in ${highest!.label}.`;
  const bars = points.map((p, i) => {
    const x = LEFT + i * slot + (slot - barWidth) / 2;
    const height = Math.max(p.value > 0 ? 1 : 0, (p.value / top) * plotHeight);
    return html`<rect
        class="bar"
        ${attrs({ x: x.toFixed(1), y: (TOP + plotHeight - height).toFixed(1), width: barWidth.toFixed(1), height: height.toFixed(1) })}
        ><title>${p.label}: ${p.value}</title></rect
      >${
        i % options.tickEvery === 0
          ? html`<text class="tick" ${attrs({ x: (x + barWidth / 2).toFixed(1), y: HEIGHT - 8 })} text-anchor="middle"
              >${p.short}</text
            >`
          : ''
      }`;
  });
  // A middle line only where it falls on a whole number (no "2.5 activations").
  const grid = (Number.isInteger(top / 2) ? [0, top / 2, top] : [0, top]).map(
    v =>
      html`<line
          class="grid"
          ${attrs({ x1: LEFT, x2: WIDTH - RIGHT, y1: y(v).toFixed(1), y2: y(v).toFixed(1) })}
        /><text class="tick" ${attrs({ x: LEFT - 6, y: (y(v) + 4).toFixed(1) })} text-anchor="end"
          >${compact(v)}</text
        >`,
  );
  return html`<figure class="chart" id="${id}">
    <figcaption id="${id}-title">${options.title}</figcaption>
    <svg
      class="chart-svg"
      viewBox="0 0 ${WIDTH} ${HEIGHT}"
      role="img"
      aria-labelledby="${id}-title ${id}-summary"
      xmlns="http://www.w3.org/2000/svg"
    >
      ${grid} ${bars}
    </svg>
    <p class="chart-summary" id="${id}-summary">${summary}</p>
    <details class="chart-table">
      <summary>${options.title} as a table</summary>
      <div class="table-wrap">
        <table class="list compact">
          <thead>
            <tr>
              <th scope="col">Period</th>
              <th scope="col" class="number">${options.noun.charAt(0).toUpperCase()}${options.noun.slice(1)}</th>
            </tr>
          </thead>
          <tbody>
            ${points.map(
              p =>
                html`<tr>
                  <th scope="row">${p.label}</th>
                  <td class="number">${p.value}</td>
                </tr>`,
            )}
          </tbody>
        </table>
      </div>
    </details>
  </figure>`;
}
