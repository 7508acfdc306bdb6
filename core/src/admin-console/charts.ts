/**
 * Bar charts drawn as SVG on the server: no script, readable at any size,
 * and described for screen readers by a title and a table-like summary.
 */
import { html, type Html } from './html.js';

export interface Bar {
  readonly label: string;
  readonly value: number;
}

export interface BarChartSpec {
  /** Read by screen readers and shown as a tooltip. */
  readonly title: string;
  readonly bars: readonly Bar[];
  readonly width?: number;
  readonly height?: number;
}

const AXIS = 28;
const TOP = 16;

/** A vertical bar chart; every bar carries its value, every few bars a label. */
export function barChart(spec: BarChartSpec): Html {
  const width = spec.width ?? 720;
  const height = spec.height ?? 220;
  const bars = spec.bars;
  const max = Math.max(1, ...bars.map((b) => b.value));
  const slot = (width - AXIS) / Math.max(1, bars.length);
  const plot = height - AXIS - TOP;
  const labelEvery = Math.max(1, Math.ceil(bars.length / 12));
  const summary = bars.filter((b) => b.value > 0).map((b) => `${b.label}: ${b.value}`).join(', ');
  return html`<svg class="chart" role="img" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" aria-label="${spec.title}${summary ? `. ${summary}` : ''}">
<title>${spec.title}</title>
<line x1="${AXIS}" y1="${TOP + plot}" x2="${width}" y2="${TOP + plot}" stroke="#6b6b6b"/>
<text x="0" y="${TOP + 4}">${max}</text>
${bars.map((bar, i) => {
    const h = Math.round((bar.value / max) * plot);
    const x = AXIS + i * slot;
    return html`<rect class="bar" x="${tenths(x + slot * 0.15)}" y="${TOP + plot - h}" width="${tenths(Math.max(1, slot * 0.7))}" height="${h}"><title>${bar.label}: ${bar.value}</title></rect>${i % labelEvery === 0 ? html`<text x="${tenths(x)}" y="${height - 8}">${bar.label}</text>` : ''}`;
  })}
</svg>`;
}

/** Coordinates to a tenth of a pixel: enough for any screen, and a short page. */
function tenths(value: number): number {
  return Math.round(value * 10) / 10;
}
