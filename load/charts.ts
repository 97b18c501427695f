/**
 * Inline SVG charts for the load report: no scripts, no fonts or images from the network, so the
 * HTML stays one self-contained file that prints.
 */
import { escapeHtml } from '../suites/report/html';
import type { DistributionBin, TimelinePoint } from './runner/types';

const W = 760;
const H = 240;
const PAD = { l: 56, r: 16, t: 16, b: 36 };
const IW = W - PAD.l - PAD.r;
const IH = H - PAD.t - PAD.b;

const n = (v: number): string => (Math.round(v * 10) / 10).toString();

function frame(title: string, inner: string): string {
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="100%" role="img" aria-label="${escapeHtml(title)}" style="max-width:${W}px;font:11px system-ui,sans-serif">` +
    `<title>${escapeHtml(title)}</title><rect x="0" y="0" width="${W}" height="${H}" fill="#fff"/>${inner}</svg>`
  );
}

/** A tidy axis maximum: 1, 2 or 5 times a power of ten, at or above `v`. */
export function niceMax(v: number): number {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

function yAxis(max: number, unit: string): string {
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => f * max);
  return ticks
    .map((t) => {
      const y = PAD.t + IH - (t / max) * IH;
      return `<line x1="${PAD.l}" x2="${PAD.l + IW}" y1="${n(y)}" y2="${n(y)}" stroke="#e8edee"/><text x="${PAD.l - 6}" y="${n(y + 4)}" text-anchor="end" fill="#4c6272">${escapeHtml(fmt(t))}${unit}</text>`;
    })
    .join('');
}

function fmt(v: number): string {
  if (v === 0) return '0';
  if (v >= 100) return v.toFixed(0);
  if (v >= 10) return v.toFixed(1).replace(/\.0$/, '');
  return v.toFixed(2).replace(/0+$/, '').replace(/\.$/, '');
}

function legend(items: Array<{ label: string; color: string; dash?: boolean }>): string {
  let x = PAD.l;
  return items
    .map((it) => {
      const g = `<line x1="${x}" x2="${x + 18}" y1="${H - 8}" y2="${H - 8}" stroke="${it.color}" stroke-width="2"${it.dash ? ' stroke-dasharray="4 3"' : ''}/><text x="${x + 22}" y="${H - 4}" fill="#212b32">${escapeHtml(it.label)}</text>`;
      x += 30 + it.label.length * 6.2;
      return g;
    })
    .join('');
}

/** Axis labels for a log scale: 1, 2 and 5 times powers of ten inside [from, to], and the ends when that leaves fewer than three. */
export function logTicks(from: number, to: number): number[] {
  const out: number[] = [];
  for (let e = Math.floor(Math.log10(from)); e <= Math.ceil(Math.log10(to)); e += 1) {
    for (const m of [1, 2, 5]) {
      const v = m * 10 ** e;
      if (v >= from && v <= to) out.push(v);
    }
  }
  if (out.length < 3) {
    const ends = [Number(from.toPrecision(2)), Number(to.toPrecision(2))].filter((v) => !out.includes(v));
    out.push(...ends);
  }
  return out.sort((a, b) => a - b);
}

/** Bars of the latency histogram (log-spaced bins, so each bar is as wide as the next), with P95 and budget marked. */
export function distributionChart(bins: DistributionBin[], marks: { p95: number; budgetMs?: number }): string {
  if (bins.length === 0)
    return frame(
      'Latency distribution',
      `<text x="${W / 2}" y="${H / 2}" text-anchor="middle" fill="#4c6272">no responses</text>`,
    );
  const lo = Math.log2(bins[0]!.fromMs);
  const hiValue = Math.max(bins[bins.length - 1]!.toMs, (marks.budgetMs ?? 0) * 1.1);
  const hi = Math.log2(hiValue);
  const x = (ms: number): number => PAD.l + ((Math.log2(Math.max(ms, 2 ** lo)) - lo) / Math.max(hi - lo, 1e-9)) * IW;
  const maxCount = niceMax(Math.max(...bins.map((b) => b.count)));
  const bars = bins
    .map((b) => {
      const x0 = x(b.fromMs);
      const w = Math.max(1, x(b.toMs) - x0 - 1);
      const h = (b.count / maxCount) * IH;
      return `<rect x="${n(x0)}" y="${n(PAD.t + IH - h)}" width="${n(w)}" height="${n(h)}" fill="#005eb8"><title>${escapeHtml(`${fmt(b.fromMs)}-${fmt(b.toMs)} ms: ${b.count}`)}</title></rect>`;
    })
    .join('');
  const ticks = logTicks(2 ** lo, 2 ** hi).map(
    (v) =>
      `<line x1="${n(x(v))}" x2="${n(x(v))}" y1="${PAD.t + IH}" y2="${PAD.t + IH + 4}" stroke="#4c6272"/><text x="${n(x(v))}" y="${PAD.t + IH + 16}" text-anchor="middle" fill="#4c6272">${escapeHtml(fmt(v))}</text>`,
  );
  const mark = (v: number, color: string, label: string): string =>
    `<line x1="${n(x(v))}" x2="${n(x(v))}" y1="${PAD.t}" y2="${PAD.t + IH}" stroke="${color}" stroke-width="2" stroke-dasharray="4 3"/><text x="${n(x(v) + 4)}" y="${PAD.t + 10}" fill="${color}">${escapeHtml(label)}</text>`;
  const marksSvg = [
    mark(marks.p95, '#ffb81c', `p95 ${fmt(marks.p95)} ms`),
    marks.budgetMs !== undefined ? mark(marks.budgetMs, '#d5281b', `budget ${fmt(marks.budgetMs)} ms`) : '',
  ].join('');
  return frame(
    'Latency distribution',
    `${yAxis(maxCount, '')}${bars}${ticks.join('')}${marksSvg}<text x="${PAD.l + IW}" y="${H - 4}" text-anchor="end" fill="#4c6272">latency, ms (log scale)</text>`,
  );
}

function polyline(points: Array<[number, number]>, color: string, dash = false): string {
  if (points.length === 0) return '';
  return `<polyline fill="none" stroke="${color}" stroke-width="2"${dash ? ' stroke-dasharray="4 3"' : ''} points="${points.map(([a, b]) => `${n(a)},${n(b)}`).join(' ')}"/>`;
}

/** Per-second p50, p95 and max latency against the budget. Values above the top are drawn at the top. */
export function latencyOverTimeChart(timeline: TimelinePoint[], budgetMs?: number): string {
  const points = timeline.filter((p) => p.completed > 0);
  if (points.length === 0)
    return frame(
      'Latency over time',
      `<text x="${W / 2}" y="${H / 2}" text-anchor="middle" fill="#4c6272">no responses</text>`,
    );
  const top = Math.max(...points.map((p) => p.p95)) * 1.2;
  const max = niceMax(Math.max(top, (budgetMs ?? 0) * 1.1));
  const secs = Math.max(timeline.length, 1);
  const x = (s: number): number => PAD.l + ((s + 0.5) / secs) * IW;
  const y = (v: number): number => PAD.t + IH - (Math.min(v, max) / max) * IH;
  const line = (f: (p: TimelinePoint) => number): Array<[number, number]> => points.map((p) => [x(p.second), y(f(p))]);
  const budget =
    budgetMs !== undefined
      ? `<line x1="${PAD.l}" x2="${PAD.l + IW}" y1="${n(y(budgetMs))}" y2="${n(y(budgetMs))}" stroke="#d5281b" stroke-width="1.5" stroke-dasharray="6 4"/>`
      : '';
  return frame(
    'Latency over time',
    `${yAxis(max, ' ms')}${timeAxis(secs, x)}${budget}${polyline(
      line((p) => p.max),
      '#aeb7bd',
    )}${polyline(
      line((p) => p.p50),
      '#007f3b',
    )}${polyline(
      line((p) => p.p95),
      '#005eb8',
    )}` +
      legend([
        { label: 'p50', color: '#007f3b' },
        { label: 'p95', color: '#005eb8' },
        { label: 'max', color: '#aeb7bd' },
        ...(budgetMs !== undefined ? [{ label: 'budget', color: '#d5281b', dash: true }] : []),
      ]),
  );
}

function timeAxis(secs: number, x: (s: number) => number): string {
  const step = secs <= 20 ? 2 : secs <= 60 ? 5 : secs <= 300 ? 30 : 60;
  const out: string[] = [];
  for (let s = 0; s <= secs; s += step)
    out.push(
      `<text x="${n(x(s) - (x(1) - x(0)) / 2)}" y="${PAD.t + IH + 14}" text-anchor="middle" fill="#4c6272">${s}s</text>`,
    );
  return out.join('');
}

/** Per second: the planned (offered) rate, what started, what was accepted, throttled and failed. */
export function rateOverTimeChart(timeline: TimelinePoint[]): string {
  if (timeline.length === 0) return frame('Rate over time', '');
  const max = niceMax(Math.max(...timeline.map((p) => Math.max(p.offered, p.started))) * 1.1);
  const secs = timeline.length;
  const x = (s: number): number => PAD.l + ((s + 0.5) / secs) * IW;
  const y = (v: number): number => PAD.t + IH - (v / max) * IH;
  const bw = Math.max(1, IW / secs - 2);
  const bars = timeline
    .map((p) => {
      const parts: string[] = [];
      if (p.throttled > 0)
        parts.push(
          `<rect x="${n(x(p.second) - bw / 2)}" y="${n(y(p.throttled))}" width="${n(bw)}" height="${n(IH - (y(p.throttled) - PAD.t))}" fill="#ffb81c" opacity="0.8"/>`,
        );
      const failed = p.errors;
      if (failed > 0)
        parts.push(
          `<rect x="${n(x(p.second) - bw / 4)}" y="${n(y(failed))}" width="${n(bw / 2)}" height="${n(IH - (y(failed) - PAD.t))}" fill="#d5281b"/>`,
        );
      return parts.join('');
    })
    .join('');
  const line = (f: (p: TimelinePoint) => number): Array<[number, number]> =>
    timeline.map((p) => [x(p.second), y(f(p))]);
  return frame(
    'Rate over time',
    `${yAxis(max, '/s')}${timeAxis(secs, x)}${bars}${polyline(
      line((p) => p.offered),
      '#4c6272',
      true,
    )}${polyline(
      line((p) => p.started),
      '#005eb8',
    )}${polyline(
      line((p) => p.accepted),
      '#007f3b',
    )}` +
      legend([
        { label: 'planned', color: '#4c6272', dash: true },
        { label: 'started', color: '#005eb8' },
        { label: '2xx', color: '#007f3b' },
        { label: '429', color: '#ffb81c' },
        { label: 'errors', color: '#d5281b' },
      ]),
  );
}
