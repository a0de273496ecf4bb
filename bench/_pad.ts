/**
 * The presentation-attack (liveness) benchmark on the dev PAD set (`shared/data/pad/`), reported as
 * ISO/IEC 30107-3 does: APCER per attack species (and the worst), BPCER per kind of bona fide
 * presentation, non-response rates counted apart, each with a 95% Clopper–Pearson interval; BPCER
 * at APCER 5% and 1%; the latency passive liveness adds to a 640×480 verify.
 *
 * The verdicts are the product's own: the pipeline's largest face, the manifest's crop, threshold
 * and non-response rule (`checkLiveness`).
 *
 * @module
 */
import { analyzeImage } from "../lib/pipeline/mod.ts";
import { fileModelLoader, SessionCache } from "../lib/onnx/mod.ts";
import { MODEL_MANIFEST } from "../models/manifest.ts";
import { clopperPearson } from "./_clopper_pearson.ts";
import { percentile, round } from "./_stats.ts";

/** Attack species that are impostor presentation attacks (APCER); others are reported apart. */
export const IMPOSTOR_SPECIES = [
  "print_photo",
  "replay_screen",
  "recapture_unspecified",
  "mask_3d_rigid",
  "mask_3d_realistic",
] as const;

/** Not impostor presentation attacks (SOURCES.md): reported apart, never in APCER. */
export const OTHER_SPECIES = ["concealment_disguise", "digital_synthetic_face"] as const;

/** One scored row of the PAD manifest. */
export interface PadRow {
  path: string;
  label: "bona_fide" | "attack";
  /** `attack_type` of the manifest (`none`, `none_web_photo` for bona fide). */
  type: string;
  /** `webcam` (NUAA, Silent-Face) or `web_photo` for bona fide; the species for attacks. */
  group: string;
  /** `judged`, `insufficient_context` or `no_face`. */
  status: "judged" | "insufficient_context" | "no_face";
  /** Bona fide score when judged. */
  score?: number;
  context?: number;
}

/** A rate with its count and 95% interval. */
export interface Rate {
  errors: number;
  n: number;
  rate: number;
  ci95: [number, number];
}

function rate(errors: number, n: number): Rate {
  if (n === 0) return { errors, n, rate: NaN, ci95: [NaN, NaN] };
  const [lo, hi] = clopperPearson(errors, n);
  return { errors, n, rate: errors / n, ci95: [round(lo, 4), round(hi, 4)] };
}

/** The PAD report. */
export interface PadReport {
  model: string;
  threshold: number;
  min_context: number;
  rows: number;
  /** Per group: error rate among judged rows, and non-responses among all rows of the group. */
  groups: Record<string, {
    label: "bona_fide" | "attack";
    judged_error: Rate;
    non_response: Rate;
    no_face: number;
  }>;
  /** APCER of the worst impostor species with ≥ 10 judged rows, and over all of them. */
  apcer_worst: { species: string; rate: Rate };
  apcer_print_replay_recapture: Rate;
  /** BPCER at the thresholds giving APCER ≤ 5% and ≤ 1% on print+replay+recapture attacks. */
  bpcer_at_apcer: Record<string, { threshold: number; webcam: Rate; web_photo: Rate }>;
  /** Median ms of a 640×480 analysis with and without passive liveness, interleaved. */
  latency?: {
    verify_ms: number;
    verify_with_liveness_ms: number;
    added_ms: number;
    images: number;
  };
}

/** Where the PAD set is: `$FACEGATE_DATA/pad` or `../shared/data/pad`; throws when absent. */
export function padDir(): string {
  const dir = `${Deno.env.get("FACEGATE_DATA") ?? "../shared/data"}/pad`;
  try {
    Deno.statSync(`${dir}/manifest.csv`);
  } catch (cause) {
    throw new Error(
      `The PAD data set is missing: expected ${dir}/manifest.csv (set FACEGATE_DATA)`,
      { cause },
    );
  }
  return dir;
}

/** Scores every row of the PAD manifest with the product's pipeline. */
export async function scorePad(sessions: SessionCache): Promise<PadRow[]> {
  const dir = padDir();
  const lines = (await Deno.readTextFile(`${dir}/manifest.csv`)).trim().split("\n").slice(1);
  const out: PadRow[] = [];
  for (const line of lines) {
    const [path, label, type] = line.split(",");
    const group = label === "attack"
      ? type
      : path.startsWith("nuaa/") || path.startsWith("silent_face/")
      ? "webcam"
      : "web_photo";
    const a = await analyzeImage({ sessions }, await Deno.readFile(`${dir}/${path}`), {
      select: "largest",
      embed: false,
      liveness: true,
    });
    const row: PadRow = {
      path,
      label: label as PadRow["label"],
      type,
      group,
      status: "no_face",
    };
    const l = a.faces[0]?.liveness;
    if (l) {
      row.context = round(l.context, 3);
      if (l.judged) {
        row.status = "judged";
        row.score = l.score;
      } else row.status = "insufficient_context";
    }
    out.push(row);
  }
  return out;
}

/** The highest threshold whose APCER over `attacks` is ≤ `target` (scores ≥ threshold pass). */
function thresholdAtApcer(attacks: number[], target: number): number {
  const s = [...attacks].sort((a, b) => b - a);
  const allowed = Math.floor(target * s.length);
  // Accept at most `allowed` attacks: the threshold sits just above the next one.
  return allowed < s.length ? s[allowed] + 1e-6 : 0;
}

/** Summarises scored rows at `threshold` (see {@linkcode PadReport}). */
export function summarisePad(rows: PadRow[], threshold: number): Omit<PadReport, "latency"> {
  const entry = MODEL_MANIFEST.liveness!;
  const groups: PadReport["groups"] = {};
  for (const g of new Set(rows.map((r) => r.group))) {
    const of = rows.filter((r) => r.group === g);
    const judged = of.filter((r) => r.status === "judged");
    const label = of[0].label;
    const errors = judged.filter((r) =>
      label === "attack" ? r.score! >= threshold : r.score! < threshold
    ).length;
    groups[g] = {
      label,
      judged_error: rate(errors, judged.length),
      non_response: rate(of.filter((r) => r.status === "insufficient_context").length, of.length),
      no_face: of.filter((r) => r.status === "no_face").length,
    };
  }
  const species = IMPOSTOR_SPECIES.filter((s) => groups[s]);
  const big = species.filter((s) => groups[s].judged_error.n >= 10);
  const worst = (big.length ? big : species).reduce((a, b) =>
    groups[b].judged_error.rate > groups[a].judged_error.rate ? b : a
  );
  const prr = rows.filter((r) =>
    r.status === "judged" &&
    ["print_photo", "replay_screen", "recapture_unspecified"].includes(r.group)
  );
  const bpcerAt = (t: number) => {
    const of = (g: string) => rows.filter((r) => r.group === g && r.status === "judged");
    const webcam = of("webcam"), web = of("web_photo");
    return {
      threshold: round(t, 4),
      webcam: rate(webcam.filter((r) => r.score! < t).length, webcam.length),
      web_photo: rate(web.filter((r) => r.score! < t).length, web.length),
    };
  };
  const attacks = prr.map((r) => r.score!);
  return {
    model: entry.id,
    threshold,
    min_context: entry.crop.min_context,
    rows: rows.length,
    groups,
    apcer_worst: { species: worst, rate: groups[worst].judged_error },
    apcer_print_replay_recapture: rate(
      attacks.filter((s) => s >= threshold).length,
      attacks.length,
    ),
    bpcer_at_apcer: {
      "5%": bpcerAt(thresholdAtApcer(attacks, 0.05)),
      "1%": bpcerAt(thresholdAtApcer(attacks, 0.01)),
    },
  };
}

/**
 * Median time of the pipeline on 640×480 webcam stills (detect, landmarks, align, embed: a
 * verify's probe) with and without passive liveness, interleaved in the same run.
 */
export async function livenessLatency(
  sessions: SessionCache,
  rounds = 3,
): Promise<NonNullable<PadReport["latency"]>> {
  const dir = padDir();
  const lines = (await Deno.readTextFile(`${dir}/manifest.csv`)).trim().split("\n").slice(1);
  const paths = lines.map((l) => l.split(",")[0]).filter((p) => p.startsWith("nuaa/bona_fide/"))
    .slice(0, 20);
  const images = await Promise.all(paths.map((p) => Deno.readFile(`${dir}/${p}`)));
  const plain: number[] = [], live: number[] = [];
  for (const bytes of images) await analyzeImage({ sessions }, bytes, { liveness: true }); // warm
  for (let r = 0; r < rounds; r++) {
    for (const bytes of images) {
      for (const liveness of r % 2 ? [true, false] : [false, true]) {
        const t0 = performance.now();
        await analyzeImage({ sessions }, bytes, { select: "largest", liveness });
        (liveness ? live : plain).push(performance.now() - t0);
      }
    }
  }
  const a = percentile(plain, 50), b = percentile(live, 50);
  return {
    verify_ms: round(a, 1),
    verify_with_liveness_ms: round(b, 1),
    added_ms: round(b - a, 1),
    images: images.length,
  };
}

/** The whole PAD section of the benchmarks. */
export async function runPad(options: { latency?: boolean } = {}): Promise<PadReport> {
  const sessions = new SessionCache(fileModelLoader());
  const rows = await scorePad(sessions);
  const report: PadReport = summarisePad(rows, MODEL_MANIFEST.liveness!.threshold);
  if (options.latency ?? true) report.latency = await livenessLatency(sessions);
  return report;
}

if (import.meta.main) console.log(JSON.stringify(await runPad(), null, 1));

function pct(r: Rate): string {
  if (r.n === 0) return "–";
  const f = (x: number) => `${round(100 * x, 1)}`;
  return `${f(r.rate)} % (${r.errors}/${r.n}; ${f(r.ci95[0])}–${f(r.ci95[1])})`;
}

/** The PAD section of BENCHMARKS.md. */
export function padMarkdown(p: PadReport & { measured_at?: string }): string[] {
  const rows = Object.entries(p.groups).map(([g, v]) => [
    g,
    v.label === "attack" ? "attack" : "bona fide",
    v.label === "attack"
      ? (OTHER_SPECIES as readonly string[]).includes(g) ? "(not an impostor attack)" : "APCER"
      : "BPCER",
    pct(v.judged_error),
    pct(v.non_response),
    String(v.no_face),
  ]);
  const out = [
    "## Liveness (presentation-attack detection), dev PAD set",
    "",
    `\`deno task bench pad\`${p.measured_at ? ` (${p.measured_at})` : ""}: model \`${p.model}\`, ` +
    `threshold ${p.threshold}, non-response below ${p.min_context}× context; ${p.rows} rows of ` +
    "`shared/data/pad/manifest.csv`, the largest face of each. Error rates are over the judged " +
    "rows, non-responses over all rows of the group; 95 % Clopper–Pearson intervals.",
    "",
    "| group | class | rate | error rate (judged) | non-response | no face |",
    "| --- | --- | --- | --- | --- | --- |",
    ...rows.map((r) => `| ${r.join(" | ")} |`),
    "",
    `APCER over print + replay + recapture: ${pct(p.apcer_print_replay_recapture)}; worst ` +
    `species with ≥ 10 judged rows: ${p.apcer_worst.species} ${pct(p.apcer_worst.rate)}.`,
    "",
    "| operating point | threshold | BPCER webcam | BPCER web photos |",
    "| --- | --- | --- | --- |",
    ...Object.entries(p.bpcer_at_apcer).map(([k, v]) =>
      `| APCER ${k} | ${v.threshold} | ${pct(v.webcam)} | ${pct(v.web_photo)} |`
    ),
    "",
  ];
  if (p.latency) {
    out.push(
      `Latency, ${p.latency.images} 640×480 webcam stills, median of interleaved runs: verify ` +
        `pipeline ${p.latency.verify_ms} ms, with passive liveness ${p.latency.verify_with_liveness_ms}` +
        ` ms: **+${p.latency.added_ms} ms**.`,
      "",
    );
  }
  return out;
}
