/**
 * Report sections: pre-CART tumour uptake compared between groups of lesions or patients (docs/references/trial.md §5:
 * Fig. 3d–h, Fig. 6b–c): EBV+ vs other, nodal vs extranodal (spleen excluded), by site,
 * irradiated vs not (volume and uptake), CR vs no CR, CRS grade ≥ 2 vs < 2.
 *
 * Each is the LMM log(y) ~ group + (1 | patient): geometric means per group and ratios to the reference
 * group from the REML fit (Satterthwaite df, t CIs, back-transformed); the group p-value from a
 * likelihood-ratio test of ML fits for two groups, from the type III Wald F test of the REML fit
 * (Satterthwaite ddf) for more. Uptake is the volume-corrected SUVpeak.
 */
import type { StudyData } from '../study/model.js';
import { deriveOutcomes } from './outcomes.js';
import { formatCi, formatPEquals, formatSig } from './format.js';
import { violinFigure } from './figures.js';
import { countPatients, primaryRows, tumourData, type LesionRow, type TumourData } from './lesions.js';
import {
  contrast,
  fitMixed,
  lrt,
  unitContrast,
  waldF,
  type ContrastEstimate,
  type LrtResult,
  type WaldFResult,
} from './mixed.js';
import { notRunSection, type ResultFigure, type ResultTable, type SectionBody } from './types.js';

/** One observation of a group comparison. */
export interface GroupObservation {
  patientId: string;
  group: string;
  /** Positive value analysed on the log scale (SUVpeak, mL). */
  value: number;
}

/** Geometric mean of one group with its CI (back-transformed from the log scale). */
export interface GroupMean {
  group: string;
  n: number;
  patients: number;
  geometricMean: number;
  lower: number;
  upper: number;
  logScale: ContrastEstimate;
}

/** Ratio of a group's geometric mean to the reference group's. */
export interface GroupRatio {
  group: string;
  reference: string;
  ratio: number;
  lower: number;
  upper: number;
  p: number;
}

/** Result of {@link compareGroups}. */
export interface GroupComparison {
  formula: string;
  levels: string[];
  means: GroupMean[];
  ratios: GroupRatio[];
  test: ({ kind: 'lrt' } & LrtResult) | ({ kind: 'wald-f' } & WaldFResult);
  p: number;
  n: number;
  patients: number;
  warnings: string[];
}

/**
 * Fits log(value) ~ group + (1 | patient) and returns geometric means, ratios and the group p-value.
 *
 * @param obs observations (value > 0)
 * @param levels group order; the first present level is the reference. Levels without observations are dropped.
 * @returns the comparison, or a string saying why it cannot be done
 */
export function compareGroups(
  obs: readonly GroupObservation[],
  levels: readonly string[],
): GroupComparison | string {
  const present = levels.filter((l) => obs.some((o) => o.group === l));
  if (present.length < 2) return `fewer than two groups with observations (${present.join(', ') || 'none'})`;
  const used = obs.filter((o) => present.includes(o.group) && o.value > 0);
  const patients = countPatients(used);
  if (patients < 3)
    return `only ${patients} patient(s) with observations (need 3 for a random patient intercept)`;
  const records = used.map((o) => ({ log_y: Math.log(o.value), group: o.group, patient: o.patientId }));
  const formula = 'log_y ~ group + (1 | patient)';
  const ref = { group: present[0]! };
  let fit;
  try {
    fit = fitMixed(formula, records, { reml: true, ref });
  } catch (e) {
    return `the mixed model could not be fitted: ${(e as Error).message}`;
  }
  const warnings = [...fit.warnings];
  const means: GroupMean[] = present.map((g, k) => {
    const l = fit.coefNames.map((name, j) => (j === 0 ? 1 : k > 0 && name === `group${g}` ? 1 : 0));
    const c = contrast(fit, l);
    const sub = used.filter((o) => o.group === g);
    return {
      group: g,
      n: sub.length,
      patients: countPatients(sub),
      geometricMean: Math.exp(c.estimate),
      lower: Math.exp(c.lower),
      upper: Math.exp(c.upper),
      logScale: c,
    };
  });
  const ratios: GroupRatio[] = present.slice(1).map((g) => {
    const c = contrast(fit, unitContrast(fit, `group${g}`));
    return {
      group: g,
      reference: present[0]!,
      ratio: Math.exp(c.estimate),
      lower: Math.exp(c.lower),
      upper: Math.exp(c.upper),
      p: c.p,
    };
  });
  let test: GroupComparison['test'];
  try {
    if (present.length === 2) {
      const full = fitMixed(formula, records, { reml: false, ref });
      const reduced = fitMixed('log_y ~ 1 + (1 | patient)', records, { reml: false });
      test = { kind: 'lrt', ...lrt(full, reduced) };
    } else {
      test = { kind: 'wald-f', ...waldF(fit, 'group') };
    }
  } catch (e) {
    return `the group test could not be computed: ${(e as Error).message}`;
  }
  return { formula, levels: present, means, ratios, test, p: test.p, n: used.length, patients, warnings };
}

function meansTable(id: string, title: string, cmp: GroupComparison, unit: string): ResultTable {
  return {
    id,
    title,
    columns: [
      'group',
      'lesions',
      'patients',
      `geomean_${unit}`,
      'ci_lower',
      'ci_upper',
      'ratio_to_ref',
      'ratio_lower',
      'ratio_upper',
      'p',
    ],
    rows: cmp.means.map((m, k) => {
      const r = k > 0 ? cmp.ratios[k - 1]! : null;
      return {
        group: m.group,
        lesions: m.n,
        patients: m.patients,
        [`geomean_${unit}`]: m.geometricMean,
        ci_lower: m.lower,
        ci_upper: m.upper,
        ratio_to_ref: r ? r.ratio : 1,
        ratio_lower: r ? r.lower : null,
        ratio_upper: r ? r.upper : null,
        p: k === 0 ? cmp.p : null,
      };
    }),
  };
}

function testWords(cmp: GroupComparison): string {
  return cmp.test.kind === 'lrt'
    ? `LRT χ²(${cmp.test.df}) = ${formatSig(cmp.test.chisq)}, ${formatPEquals(cmp.test.p)}`
    : `Wald F(${cmp.test.numDf}, ${formatSig(cmp.test.denDf)}) = ${formatSig(cmp.test.f)}, ${formatPEquals(cmp.test.p)}`;
}

function meansWords(cmp: GroupComparison): string {
  return cmp.means
    .map((m) => `${m.group} ${formatCi(m.geometricMean, m.lower, m.upper)} (n = ${m.n})`)
    .join(' vs ');
}

const MODEL_WORDS =
  'Linear mixed model of the log value with the group as fixed effect and a random intercept per patient. Geometric means ' +
  'and 95% CIs from the REML fit (Satterthwaite df), back-transformed. p: likelihood-ratio test of ML fits for two groups, ' +
  'type III Wald F test (REML, Satterthwaite ddf) for more.';

/**
 * Results of a group-comparison section: the comparison of pre-CART uptake and, where the section
 * compares it, of lesion volume.
 */
export interface TumourGroupResults {
  volume?: GroupComparison;
  uptake?: GroupComparison;
}

/**
 * Builds a section from one or more comparisons (e.g. volume and uptake).
 * @param base the description and `idPrefix`, the prefix of the section's table and figure ids
 */
function groupSection(
  { idPrefix, ...base }: { idPrefix: string; description: string },
  parts: {
    key: keyof TumourGroupResults;
    label: string;
    unit: string;
    obs: GroupObservation[];
    levels: string[];
    yTitle: string;
  }[],
  guard: string | null,
): SectionBody<TumourGroupResults> {
  const notRun = (reason: string) =>
    notRunSection({ ...base, formula: 'log(y) ~ group + (1 | patient)' }, reason);
  if (guard) return notRun(guard);
  const results: TumourGroupResults = {};
  const tables: ResultTable[] = [];
  const figures: ResultFigure[] = [];
  const findings: string[] = [];
  const warnings: string[] = [];
  let nLes = 0;
  let nPat = 0;
  for (const part of parts) {
    const cmp = compareGroups(part.obs, part.levels);
    if (typeof cmp === 'string') return notRun(`${part.label}: ${cmp}`);
    results[part.key] = cmp;
    nLes = Math.max(nLes, cmp.n);
    nPat = Math.max(nPat, cmp.patients);
    tables.push(
      meansTable(`${idPrefix}-${part.key}`, `${part.label}: geometric means by group`, cmp, part.unit),
    );
    figures.push(
      violinFigure(
        `${idPrefix}-${part.key}`,
        `${part.label} by group`,
        part.obs.filter((o) => cmp.levels.includes(o.group)).map((o) => ({ group: o.group, value: o.value })),
        cmp.means.map((m) => ({ group: m.group, estimate: m.geometricMean, lower: m.lower, upper: m.upper })),
        part.yTitle,
        `White dots: geometric means; bars: 95% CIs (LMM). ${testWords(cmp)}.`,
      ),
    );
    findings.push(`${part.label}: ${meansWords(cmp)}; ${testWords(cmp)}.`);
    warnings.push(...cmp.warnings);
  }
  return {
    ...base,
    formula: 'log(y) ~ group + (1 | patient)',
    status: 'ok',
    n: { patients: nPat, lesions: nLes },
    results,
    findings,
    tables,
    figures,
    ...(warnings.length > 0 ? { warnings } : {}),
  };
}

function preRows(rows: LesionRow[]): LesionRow[] {
  return rows.filter((r) => r.timepoint === 'pre');
}

function uptakeObs(rows: LesionRow[], groupOf: (r: LesionRow) => string | null): GroupObservation[] {
  const out: GroupObservation[] = [];
  for (const r of rows) {
    const g = groupOf(r);
    if (g !== null) out.push({ patientId: r.patientId, group: g, value: r.suvPeakCorrected });
  }
  return out;
}

function guardTumour(td: TumourData): string | null {
  if (td.pvcError) return td.pvcError;
  if (preRows(td.rows).length === 0) return 'no pre-CART tumour lesions';
  return null;
}

/** EBV+ DLBCL vs other lymphomas (all patients, whatever the exclusion setting), pre-CART SUVpeak. */
export function tumourByEbv(study: StudyData): SectionBody<TumourGroupResults> {
  const td = tumourData(study);
  return groupSection(
    {
      idPrefix: 'tumour-ebv',
      description: `Pre-CART volume-corrected SUVpeak of all lesions, EBV+ DLBCL vs other histologies. ${MODEL_WORDS}`,
    },
    [
      {
        key: 'uptake',
        label: 'SUVpeak',
        unit: 'suvpeak',
        obs: uptakeObs(preRows(td.rows), (r) => (r.ebvPositive ? 'EBV+' : 'other')),
        levels: ['other', 'EBV+'],
        yTitle: 'SUVpeak (volume-corrected)',
      },
    ],
    guardTumour(td),
  );
}

/** Nodal vs extranodal lesions (spleen lesions excluded), pre-CART SUVpeak, primary population. */
export function tumourNodalExtranodal(study: StudyData): SectionBody<TumourGroupResults> {
  const td = tumourData(study);
  return groupSection(
    {
      idPrefix: 'tumour-nodal',
      description: `Pre-CART volume-corrected SUVpeak, nodal vs extranodal lesions (spleen lesions excluded${td.settings.excludeEbvPositive ? '; EBV+ DLBCL patients excluded' : ''}). ${MODEL_WORDS}`,
    },
    [
      {
        key: 'uptake',
        label: 'SUVpeak',
        unit: 'suvpeak',
        obs: uptakeObs(preRows(primaryRows(td)), (r) =>
          r.site === 'spleen' ? null : r.site === 'nodal' ? 'nodal' : 'extranodal',
        ),
        levels: ['nodal', 'extranodal'],
        yTitle: 'SUVpeak (volume-corrected)',
      },
    ],
    guardTumour(td),
  );
}

/** Pre-CART SUVpeak by lesion site (every site label), primary population. */
export function tumourBySite(study: StudyData): SectionBody<TumourGroupResults> {
  const td = tumourData(study);
  const rows = preRows(primaryRows(td));
  const counts = new Map<string, number>();
  for (const r of rows) counts.set(r.site, (counts.get(r.site) ?? 0) + 1);
  const levels = [...counts.entries()]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([s]) => s);
  return groupSection(
    {
      idPrefix: 'tumour-site',
      description: `Pre-CART volume-corrected SUVpeak by lesion site (reference: the most frequent site). ${MODEL_WORDS}`,
    },
    [
      {
        key: 'uptake',
        label: 'SUVpeak',
        unit: 'suvpeak',
        obs: uptakeObs(rows, (r) => r.site),
        levels,
        yTitle: 'SUVpeak (volume-corrected)',
      },
    ],
    guardTumour(td),
  );
}

/**
 * Irradiated (target of bridging radiotherapy) vs non-irradiated lesions in patients bridged with
 * radiotherapy (alone or combined): pre-CART volume and volume-corrected SUVpeak.
 */
export function tumourIrradiated(study: StudyData): SectionBody<TumourGroupResults> {
  const td = tumourData(study);
  const rows = preRows(primaryRows(td)).filter(
    (r) => (r.bridging === 'radiotherapy' || r.bridging === 'combination') && r.irradiated !== null,
  );
  const group = (r: LesionRow): string => (r.irradiated ? 'irradiated' : 'not irradiated');
  return groupSection(
    {
      idPrefix: 'tumour-irradiated',
      description: `Lesions of patients bridged with radiotherapy: pre-CART lesion volume and volume-corrected SUVpeak, radiotherapy target lesions vs the others. ${MODEL_WORDS}`,
    },
    [
      {
        key: 'volume',
        label: 'Lesion volume (mL)',
        unit: 'ml',
        obs: rows.map((r) => ({ patientId: r.patientId, group: group(r), value: r.volumeMl })),
        levels: ['not irradiated', 'irradiated'],
        yTitle: 'Lesion volume (mL)',
      },
      {
        key: 'uptake',
        label: 'SUVpeak',
        unit: 'suvpeak',
        obs: uptakeObs(rows, group),
        levels: ['not irradiated', 'irradiated'],
        yTitle: 'SUVpeak (volume-corrected)',
      },
    ],
    guardTumour(td) ?? (rows.length === 0 ? 'no lesions in patients bridged with radiotherapy' : null),
  );
}

/** Pre-CART SUVpeak, patients with a complete response (best Lugano response CR) vs not. */
export function tumourByResponse(study: StudyData): SectionBody<TumourGroupResults> {
  const td = tumourData(study);
  const best = new Map(deriveOutcomes(study).map((o) => [o.patientId, o.bestResponse]));
  return groupSection(
    {
      idPrefix: 'tumour-response',
      description: `Pre-CART volume-corrected SUVpeak of patients whose best Lugano response was CR vs PR/SD/PD (patients without a response assessment left out). ${MODEL_WORDS}`,
    },
    [
      {
        key: 'uptake',
        label: 'SUVpeak',
        unit: 'suvpeak',
        obs: uptakeObs(preRows(primaryRows(td)), (r) => {
          const b = best.get(r.patientId) ?? null;
          return b === null ? null : b === 'CR' ? 'CR' : 'no CR';
        }),
        levels: ['no CR', 'CR'],
        yTitle: 'SUVpeak (volume-corrected)',
      },
    ],
    guardTumour(td),
  );
}

/** Pre-CART SUVpeak, patients with CRS grade ≥ 2 vs < 2 (ASTCT 2019). */
export function tumourByCrs(study: StudyData): SectionBody<TumourGroupResults> {
  const td = tumourData(study);
  const crs = new Map(study.toxicity.map((t) => [t.patientId, t.crsGrade]));
  return groupSection(
    {
      idPrefix: 'tumour-crs',
      description: `Pre-CART volume-corrected SUVpeak of patients with maximum CRS grade ≥ 2 vs < 2 (ASTCT 2019). ${MODEL_WORDS}`,
    },
    [
      {
        key: 'uptake',
        label: 'SUVpeak',
        unit: 'suvpeak',
        obs: uptakeObs(preRows(primaryRows(td)), (r) => {
          const g = crs.get(r.patientId);
          return g === undefined ? null : g >= 2 ? 'CRS ≥ 2' : 'CRS < 2';
        }),
        levels: ['CRS < 2', 'CRS ≥ 2'],
        yTitle: 'SUVpeak (volume-corrected)',
      },
    ],
    guardTumour(td),
  );
}
