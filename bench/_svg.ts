/**
 * Small hand-written SVG charts for BENCHMARKS.md: line charts (optionally log-x) and grouped bar
 * charts. No dependencies; the output is plain SVG 1.1 text.
 *
 * @module
 */

/** One line of a {@linkcode lineChart}. */
export interface Series {
  name: string;
  points: [number, number][];
  /** Dashed (e.g. a target). Default: false. */
  dashed?: boolean;
}

const COLORS = ["#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2"];
const W = 640, H = 360, L = 64, R = 150, T = 36, B = 48;

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

function fmt(v: number): string {
  if (v === 0) return "0";
  const a = Math.abs(v);
  if (a >= 1e6) return `${+(v / 1e6).toFixed(1)}M`;
  if (a >= 1e3) return `${+(v / 1e3).toFixed(1)}k`;
  if (a >= 1) return `${+v.toFixed(1)}`;
  return `${+v.toPrecision(2)}`;
}

function niceTicks(min: number, max: number, n = 5): number[] {
  const span = max - min || 1;
  const step0 = span / n;
  const mag = 10 ** Math.floor(Math.log10(step0));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= step0)!;
  const out: number[] = [];
  for (let v = Math.ceil(min / step) * step; v <= max + 1e-9; v += step) {
    out.push(+v.toPrecision(12));
  }
  return out;
}

function frame(title: string, xLabel: string, yLabel: string, body: string[]): string {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="20" text-anchor="middle" font-size="14" font-weight="bold">${
      esc(title)
    }</text>`,
    `<text x="${L + (W - L - R) / 2}" y="${H - 10}" text-anchor="middle">${esc(xLabel)}</text>`,
    `<text transform="translate(16 ${T + (H - T - B) / 2}) rotate(-90)" text-anchor="middle">${
      esc(yLabel)
    }</text>`,
    ...body,
    `</svg>`,
    "",
  ].join("\n");
}

/** Options for {@linkcode lineChart}. */
export interface LineChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  /** Logarithmic x axis. Default: false. */
  logX?: boolean;
  /** Logarithmic y axis. Default: false. */
  logY?: boolean;
  /** Fixed y range. Default: from the data (from 0 on a linear axis). */
  yRange?: [number, number];
  /** Fixed x range. Default: from the data. */
  xRange?: [number, number];
}

/** A line chart with a legend on the right. */
export function lineChart(o: LineChartOptions): string {
  const pts = o.series.flatMap((s) => s.points).filter(([x, y]) =>
    Number.isFinite(x) && Number.isFinite(y) && (!o.logX || x > 0) && (!o.logY || y > 0)
  );
  const tx = (v: number) => (o.logX ? Math.log10(v) : v);
  const ty = (v: number) => (o.logY ? Math.log10(v) : v);
  let [x0, x1] = o.xRange ?? [Math.min(...pts.map((p) => p[0])), Math.max(...pts.map((p) => p[0]))];
  let [y0, y1] = o.yRange ??
    [o.logY ? Math.min(...pts.map((p) => p[1])) : 0, Math.max(...pts.map((p) => p[1])) * 1.05];
  [x0, x1] = [tx(x0), tx(x1)];
  [y0, y1] = [ty(y0), ty(y1)];
  if (x1 === x0) x1 = x0 + 1;
  if (y1 === y0) y1 = y0 + 1;
  const px = (v: number) => L + ((tx(v) - x0) / (x1 - x0)) * (W - L - R);
  const py = (v: number) => H - B - ((ty(v) - y0) / (y1 - y0)) * (H - T - B);
  const body: string[] = [];
  const xt = o.logX
    ? Array.from(
      { length: Math.floor(x1) - Math.ceil(x0) + 1 },
      (_, i) => 10 ** (Math.ceil(x0) + i),
    )
    : niceTicks(x0, x1);
  const yt = o.logY
    ? Array.from(
      { length: Math.floor(y1) - Math.ceil(y0) + 1 },
      (_, i) => 10 ** (Math.ceil(y0) + i),
    )
    : niceTicks(y0, y1);
  for (const v of xt) {
    body.push(`<line x1="${px(v)}" y1="${T}" x2="${px(v)}" y2="${H - B}" stroke="#eee"/>`);
    body.push(`<text x="${px(v)}" y="${H - B + 14}" text-anchor="middle">${fmt(v)}</text>`);
  }
  for (const v of yt) {
    body.push(`<line x1="${L}" y1="${py(v)}" x2="${W - R}" y2="${py(v)}" stroke="#eee"/>`);
    body.push(`<text x="${L - 4}" y="${py(v) + 4}" text-anchor="end">${fmt(v)}</text>`);
  }
  body.push(
    `<rect x="${L}" y="${T}" width="${W - L - R}" height="${
      H - T - B
    }" fill="none" stroke="#999"/>`,
  );
  o.series.forEach((s, i) => {
    const c = COLORS[i % COLORS.length];
    const p = s.points.filter(([x, y]) => (!o.logX || x > 0) && (!o.logY || y > 0));
    const d = p.map(([x, y], k) => `${k ? "L" : "M"}${px(x).toFixed(1)},${py(y).toFixed(1)}`).join(
      "",
    );
    body.push(
      `<path d="${d}" fill="none" stroke="${c}" stroke-width="2"${
        s.dashed ? ' stroke-dasharray="6 4"' : ""
      }/>`,
    );
    if (p.length <= 30) {
      for (const [x, y] of p) {
        body.push(`<circle cx="${px(x).toFixed(1)}" cy="${py(y).toFixed(1)}" r="3" fill="${c}"/>`);
      }
    }
    body.push(
      `<line x1="${W - R + 10}" y1="${T + 10 + i * 18}" x2="${W - R + 30}" y2="${
        T + 10 + i * 18
      }" stroke="${c}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ""}/>`,
    );
    body.push(`<text x="${W - R + 34}" y="${T + 14 + i * 18}">${esc(s.name)}</text>`);
  });
  return frame(o.title, o.xLabel, o.yLabel, body);
}

/** Options for {@linkcode barChart}. */
export interface BarChartOptions {
  title: string;
  yLabel: string;
  categories: string[];
  series: { name: string; values: number[] }[];
  /** A horizontal reference line (e.g. a target). Default: none. */
  reference?: { value: number; label: string };
}

/** Grouped vertical bars, one group per category. */
export function barChart(o: BarChartOptions): string {
  const max = Math.max(...o.series.flatMap((s) => s.values), o.reference?.value ?? 0) * 1.1 || 1;
  const py = (v: number) => H - B - (v / max) * (H - T - B);
  const body: string[] = [];
  for (const v of niceTicks(0, max)) {
    body.push(`<line x1="${L}" y1="${py(v)}" x2="${W - R}" y2="${py(v)}" stroke="#eee"/>`);
    body.push(`<text x="${L - 4}" y="${py(v) + 4}" text-anchor="end">${fmt(v)}</text>`);
  }
  const gw = (W - L - R) / o.categories.length;
  const bw = (gw * 0.8) / o.series.length;
  o.categories.forEach((cat, ci) => {
    body.push(
      `<text x="${L + gw * (ci + 0.5)}" y="${H - B + 14}" text-anchor="middle">${esc(cat)}</text>`,
    );
    o.series.forEach((s, si) => {
      const v = s.values[ci];
      if (!Number.isFinite(v)) return;
      const x = L + gw * ci + gw * 0.1 + bw * si;
      body.push(
        `<rect x="${x.toFixed(1)}" y="${py(v).toFixed(1)}" width="${(bw - 1).toFixed(1)}" height="${
          (H - B - py(v)).toFixed(1)
        }" fill="${COLORS[si % COLORS.length]}"><title>${
          esc(`${s.name} ${cat}: ${fmt(v)}`)
        }</title></rect>`,
      );
      body.push(
        `<text x="${(x + bw / 2).toFixed(1)}" y="${
          (py(v) - 3).toFixed(1)
        }" text-anchor="middle" font-size="9">${fmt(v)}</text>`,
      );
    });
  });
  body.push(
    `<rect x="${L}" y="${T}" width="${W - L - R}" height="${
      H - T - B
    }" fill="none" stroke="#999"/>`,
  );
  if (o.reference) {
    const y = py(o.reference.value);
    body.push(
      `<line x1="${L}" y1="${y}" x2="${W - R}" y2="${y}" stroke="#111" stroke-dasharray="6 4"/>`,
    );
    body.push(
      `<text x="${W - R - 4}" y="${y - 4}" text-anchor="end">${esc(o.reference.label)}</text>`,
    );
  }
  o.series.forEach((s, i) => {
    body.push(
      `<rect x="${W - R + 10}" y="${T + 4 + i * 18}" width="14" height="10" fill="${
        COLORS[i % COLORS.length]
      }"/>`,
    );
    body.push(`<text x="${W - R + 30}" y="${T + 14 + i * 18}">${esc(s.name)}</text>`);
  });
  return frame(o.title, "", o.yLabel, body);
}
