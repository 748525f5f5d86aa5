/**
 * Report sections on lesion measurements and where lesions sit (docs/references/trial.md §2, §9):
 * - `suvpeak-suvmax`: SUVpeak vs SUVmax per pre-CART lesion (Supplementary Fig. 2), by the clustered
 *   Pearson correlation with patients as clusters (statistics.md §9) and, beside it, the plain Pearson
 *   correlation the paper quotes;
 * - `anatomical-stations`: lesions by anatomical station (Supplementary Fig. 4): the station of each
 *   lesion from its label by `STATION_TABLE` (the one home of that mapping, trial.md §9), counts per
 *   station, and pre-CART volume-corrected SUVpeak per station by the plan's mixed model
 *   (src/analysis/tumour-groups.ts `compareGroups`), for nodal stations (Fig. 4a) and all stations (Fig. 4b).
 */
import { clusteredPearson, pearson, type CorrelationResult } from '../stats/correlation.js';
import type { StudyData } from '../study/model.js';
import { estimateFigure, vegaLiteFigure } from './figures.js';
import { formatCi, formatPEquals, formatSig } from './format.js';
import { countPatients, primaryRows, tumourData, type LesionRow } from './lesions.js';
import { compareGroups, type GroupComparison } from './tumour-groups.js';
import type { PlanSettings } from './settings.js';
import {
  notRunSection,
  type AnalysisSection,
  type ResultFigure,
  type ResultTable,
  type SectionBody,
} from './types.js';

/** Pre-CART lesion rows of every patient (EBV+ included: Suppl. Fig. 2 shows all 251 lesions). */
function preLesions(study: StudyData): LesionRow[] {
  return tumourData(study).rows.filter((r) => r.timepoint === 'pre');
}

/** Results of the SUVpeak-vs-SUVmax section. */
export interface SuvPeakVsSuvMaxResults {
  /** Which IBSI intensity peak the SUVpeak is ('global' or 'local'). */
  suvPeak: PlanSettings['suvPeak'];
  clustered: CorrelationResult;
  plain: CorrelationResult;
  lesions: { patientId: string; lesionId: string; suvPeak: number; suvMax: number }[];
}

/**
 * SUVpeak (the IBSI peak of the settings, measured, not volume-corrected) vs SUVmax per pre-CART lesion:
 * clustered Pearson (patients as clusters) and plain Pearson. Not run with fewer than 3 patients.
 */
export function suvPeakVsSuvMax(study: StudyData): SectionBody<SuvPeakVsSuvMaxResults> {
  const td = tumourData(study);
  const base = {
    description:
      `Pre-CART lesions of all patients: measured SUVpeak (IBSI ${td.settings.suvPeak} intensity peak, 1 mL sphere) vs SUVmax. ` +
      'Marginal Pearson correlation for clustered data with patients as clusters (Lorenz, Datta & Harkema 2011; ' +
      'normal test and CI), and the plain Pearson correlation (R cor.test; t test, Fisher-z CI) that ignores ' +
      'the clustering, as the paper reports it.',
    formula: 'cor(SUVpeak, SUVmax | patient); cor.test(SUVpeak, SUVmax)',
  };
  const rows = preLesions(study);
  const patients = countPatients(rows);
  if (patients < 3) return notRunSection(base, `only ${patients} patient(s) with pre-CART lesions (need 3)`);
  let clustered: CorrelationResult;
  let plain: CorrelationResult;
  try {
    const x = rows.map((r) => r.suvMax);
    const y = rows.map((r) => r.suvPeak);
    clustered = clusteredPearson(
      x,
      y,
      rows.map((r) => r.patientId),
    );
    plain = pearson(x, y);
  } catch (e) {
    return notRunSection(base, (e as Error).message);
  }
  const row = (method: string, r: CorrelationResult) => ({
    method,
    r: r.r,
    se: r.se,
    statistic: r.statistic,
    df: r.df,
    p: r.p,
    ci_lower: r.ciLower,
    ci_upper: r.ciUpper,
    n: r.n,
    patients: countPatients(rows),
  });
  const warnings =
    patients < 30
      ? [`${patients} clusters: the normal approximation of the clustered correlation is rough below 30`]
      : [];
  return {
    ...base,
    status: 'ok',
    n: { patients, lesions: rows.length },
    ...(warnings.length > 0 ? { warnings } : {}),
    results: {
      suvPeak: td.settings.suvPeak,
      clustered,
      plain,
      lesions: rows.map((r) => ({
        patientId: r.patientId,
        lesionId: r.lesionId,
        suvPeak: r.suvPeak,
        suvMax: r.suvMax,
      })),
    },
    findings: [
      `SUVpeak vs SUVmax in ${rows.length} lesions of ${patients} patients: clustered r = ${formatCi(clustered.r, clustered.ciLower, clustered.ciUpper)}, ${formatPEquals(clustered.p)}; ` +
        `plain r = ${formatSig(plain.r)}.`,
    ],
    tables: [
      {
        id: 'suvpeak-suvmax',
        title: 'Correlation of SUVpeak with SUVmax (pre-CART lesions)',
        columns: ['method', 'r', 'se', 'statistic', 'df', 'p', 'ci_lower', 'ci_upper', 'n', 'patients'],
        rows: [row('clustered Pearson (patients)', clustered), row('Pearson', plain)],
      },
    ],
    figures: [
      vegaLiteFigure(
        'suvpeak-suvmax',
        'SUVpeak vs SUVmax per pre-CART lesion',
        'Dashed line: identity; log axes.',
        {
          width: 380,
          height: 300,
          layer: [
            {
              data: {
                values: rows.map((r) => ({ suvMax: r.suvMax, suvPeak: r.suvPeak, patient: r.patientId })),
              },
              mark: { type: 'point', filled: true, size: 25, opacity: 0.6 },
              encoding: {
                x: { field: 'suvMax', type: 'quantitative', title: 'SUVmax', scale: { type: 'log' } },
                y: { field: 'suvPeak', type: 'quantitative', title: 'SUVpeak', scale: { type: 'log' } },
              },
            },
            {
              data: { values: identityLine(rows) },
              mark: { type: 'line', strokeDash: [4, 4], color: 'grey' },
              encoding: { x: { field: 'v', type: 'quantitative' }, y: { field: 'v', type: 'quantitative' } },
            },
          ],
        },
      ),
    ],
  };
}

function identityLine(rows: LesionRow[]): { v: number }[] {
  const v = rows.flatMap((r) => [r.suvMax, r.suvPeak]).filter((x) => x > 0);
  return v.length > 0 ? [{ v: Math.min(...v) }, { v: Math.max(...v) }] : [];
}

/** Region of a station: lymph node, extranodal organ/tissue, spleen or brain (the `site` classes of vois.csv). */
export type StationRegion = 'nodal' | 'extranodal' | 'spleen' | 'brain';

/** One anatomical station and the label terms that name it. */
export interface Station {
  station: string;
  region: StationRegion;
  /** Lower-case terms matched as whole words in the lesion label (longest term first wins). */
  terms: readonly string[];
}

/**
 * The mapping from lesion labels to anatomical stations (docs/references/trial.md §9): nodal stations after
 * the Ann Arbor / Lugano lymph-node regions, extranodal stations by organ or tissue. The one home of this
 * mapping; the docs restate it.
 */
export const STATION_TABLE: readonly Station[] = [
  {
    station: 'cervical',
    region: 'nodal',
    terms: ['cervical', 'neck', 'supraclavicular', 'submandibular', 'occipital'],
  },
  { station: 'axillary', region: 'nodal', terms: ['axillary', 'axilla', 'infraclavicular', 'pectoral'] },
  {
    station: 'mediastinal',
    region: 'nodal',
    terms: ['mediastinal', 'mediastinum', 'paratracheal', 'subcarinal', 'prevascular'],
  },
  { station: 'hilar', region: 'nodal', terms: ['hilar', 'hilum'] },
  {
    station: 'para-aortic',
    region: 'nodal',
    terms: ['para-aortic', 'paraaortic', 'periaortic', 'retroperitoneal', 'aortocaval', 'paracaval'],
  },
  {
    station: 'mesenteric',
    region: 'nodal',
    terms: ['mesenteric', 'mesentery', 'coeliac', 'celiac', 'portal', 'hepatoduodenal'],
  },
  { station: 'iliac', region: 'nodal', terms: ['iliac', 'para-iliac', 'pelvic'] },
  { station: 'inguinal', region: 'nodal', terms: ['inguinal', 'femoral'] },
  {
    station: 'bone',
    region: 'extranodal',
    terms: ['bone', 'osseous', 'skeletal', 'vertebra', 'vertebral', 'rib', 'sternum', 'femur'],
  },
  {
    station: 'soft tissue',
    region: 'extranodal',
    terms: ['soft tissue', 'subcutaneous', 'muscle', 'intramuscular'],
  },
  { station: 'lung', region: 'extranodal', terms: ['lung', 'pulmonary', 'pleura', 'pleural'] },
  { station: 'liver', region: 'extranodal', terms: ['liver', 'hepatic'] },
  { station: 'stomach', region: 'extranodal', terms: ['stomach', 'gastric'] },
  {
    station: 'bowel',
    region: 'extranodal',
    terms: ['bowel', 'intestine', 'intestinal', 'colon', 'ileum', 'jejunum', 'duodenum'],
  },
  { station: 'kidney', region: 'extranodal', terms: ['kidney', 'renal', 'adrenal'] },
  { station: 'breast', region: 'extranodal', terms: ['breast'] },
  { station: 'spleen', region: 'spleen', terms: ['spleen', 'splenic'] },
  { station: 'brain', region: 'brain', terms: ['brain', 'cerebral', 'cerebellar', 'cns', 'intracranial'] },
];

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const TERM_INDEX = STATION_TABLE.flatMap((s) => s.terms.map((t) => ({ term: t, station: s }))).sort(
  (a, b) => b.term.length - a.term.length,
);

/**
 * The station of a lesion label (e.g. 'L03 axillary' → axillary), by the longest term of `STATION_TABLE`
 * found as a whole word (case-insensitive; a leading lesion code such as 'L03' is ignored); null when no
 * term matches.
 */
export function stationOfLabel(label: string): Station | null {
  const text = label.toLowerCase().replace(/_/g, ' ');
  for (const { term, station } of TERM_INDEX)
    if (new RegExp(`(^|[^a-z-])${escapeRe(term)}($|[^a-z-])`).test(text)) return station;
  return null;
}

function stationObs(rows: { patientId: string; station: string; value: number }[]) {
  return rows.map((r) => ({ patientId: r.patientId, group: r.station, value: r.value }));
}

/** A pre-CART lesion with the station its label names. */
export interface StationLesion {
  patientId: string;
  lesionId: string;
  label: string;
  station: string;
  region: StationRegion;
  site: string;
  /** Volume-corrected pre-CART SUVpeak. */
  value: number;
}

/**
 * Maps each pre-CART primary lesion to the station of its label (`stationOfLabel`): the mapped lesions,
 * those whose label names no station, and the lesions whose label region disagrees with their site column.
 */
function mapStations(study: StudyData, rows: LesionRow[]) {
  const labelOf = new Map(
    study.vois
      .filter((v) => v.kind === 'lesion')
      .map((v) => [`${v.scanId}\u0000${v.lesionId ?? v.voiId}`, v.label]),
  );
  const mapped: StationLesion[] = [];
  const unmapped: { patientId: string; lesionId: string; label: string }[] = [];
  const siteMismatch: string[] = [];
  for (const r of rows) {
    const label = labelOf.get(`${r.scanId}\u0000${r.lesionId}`) ?? '';
    const st = stationOfLabel(label);
    if (st === null) {
      unmapped.push({ patientId: r.patientId, lesionId: r.lesionId, label });
      continue;
    }
    if (r.site !== 'unknown' && r.site !== st.region)
      siteMismatch.push(`${r.lesionId} '${label}' (site ${r.site}, station region ${st.region})`);
    mapped.push({
      patientId: r.patientId,
      lesionId: r.lesionId,
      label,
      station: st.station,
      region: st.region,
      site: r.site,
      value: r.suvPeakCorrected,
    });
  }
  return { mapped, unmapped, siteMismatch };
}

/** The table, figure, findings and warnings of one station model (nodal or all stations). */
function stationModelParts(
  key: 'nodal' | 'all',
  cmp: GroupComparison | string,
  title: string,
  out: { tables: ResultTable[]; figures: ResultFigure[]; findings: string[]; warnings: string[] },
): void {
  const { tables, figures, findings, warnings } = out;
  if (typeof cmp === 'string') {
    warnings.push(`${title}: not fitted (${cmp})`);
    return;
  }
  warnings.push(...cmp.warnings.map((w) => `${title}: ${w}`));
  tables.push({
    id: `anatomical-stations-${key}`,
    title: `${title}: geometric mean SUVpeak (volume-corrected) per station`,
    columns: ['station', 'n', 'patients', 'geometric_mean', 'ci_lower', 'ci_upper', 'station_p'],
    rows: cmp.means.map((m) => ({
      station: m.group,
      n: m.n,
      patients: m.patients,
      geometric_mean: m.geometricMean,
      ci_lower: m.lower,
      ci_upper: m.upper,
      station_p: cmp.p,
    })),
  });
  figures.push(
    estimateFigure(
      `anatomical-stations-${key}`,
      `${title}: pre-CART SUVpeak per station`,
      cmp.means.map((m) => ({
        label: `${m.group} (${m.n})`,
        estimate: m.geometricMean,
        lower: m.lower,
        upper: m.upper,
      })),
      'Geometric mean SUVpeak (volume-corrected)',
      'log',
      `Station ${formatPEquals(cmp.p)}; 95% CIs from the mixed model.`,
    ),
  );
  const gm = cmp.means.map((m) => m.geometricMean);
  findings.push(
    `${title}: geometric mean SUVpeak ${formatSig(Math.min(...gm))} to ${formatSig(Math.max(...gm))} across ${cmp.levels.length} stations, ${formatPEquals(cmp.p)}.`,
  );
}

/**
 * Lesions by anatomical station: each pre-CART lesion's station from its label (`stationOfLabel`), the
 * lesion and patient counts per station, and the geometric mean volume-corrected SUVpeak per station
 * with 95 % CIs and the station p-value from log(SUVpeak) ~ station + (1 | patient) (primary population),
 * for nodal stations and for all stations. Lesions whose label names no station are listed and left out.
 */
export function anatomicalStations(study: StudyData): AnalysisSection {
  const td = tumourData(study);
  const base = {
    id: 'anatomical-stations',
    title: 'Lesions by anatomical station',
    description:
      'The station of each pre-CART lesion from its label (mapping: docs/references/trial.md §9, STATION_TABLE in ' +
      'src/analysis/lesion-sites.ts). Counts of lesions and patients per station; geometric mean volume-corrected ' +
      'SUVpeak per station with 95% CIs from the mixed model log(SUVpeak) ~ station + (1 | patient) (REML, ' +
      'Satterthwaite df; station p-value by the type III Wald F test, or the ML likelihood-ratio test for two ' +
      'stations), for nodal stations and for all stations' +
      (td.excludedPatients.length > 0 ? '; EBV+ DLBCL patients left out.' : '.'),
    formula: 'log(SUVpeak_corrected) ~ station + (1 | patient)',
  };
  if (td.pvcError) return notRunSection(base, td.pvcError);
  const rows = primaryRows(td).filter((r) => r.timepoint === 'pre');
  const { mapped, unmapped, siteMismatch } = mapStations(study, rows);
  if (mapped.length === 0)
    return notRunSection(
      base,
      `no pre-CART lesion label names a station (${unmapped.length} lesions; e.g. '${unmapped[0]?.label ?? ''}')`,
    );
  const order = STATION_TABLE.map((s) => s.station);
  const counts = STATION_TABLE.map((s) => {
    const sub = mapped.filter((m) => m.station === s.station);
    return { station: s.station, region: s.region, lesions: sub.length, patients: countPatients(sub) };
  }).filter((c) => c.lesions > 0);
  const byCount = (levels: string[]) =>
    [...levels].sort(
      (a, b) =>
        counts.find((c) => c.station === b)!.lesions - counts.find((c) => c.station === a)!.lesions ||
        order.indexOf(a) - order.indexOf(b),
    );
  const nodalLevels = byCount(counts.filter((c) => c.region === 'nodal').map((c) => c.station));
  const allLevels = byCount(counts.map((c) => c.station));
  const nodal = compareGroups(stationObs(mapped.filter((m) => m.region === 'nodal')), nodalLevels);
  const all = compareGroups(stationObs(mapped), allLevels);
  const warnings: string[] = [];
  if (unmapped.length > 0)
    warnings.push(
      `${unmapped.length} lesion(s) whose label names no station, left out: ${unmapped
        .slice(0, 10)
        .map((u) => `${u.lesionId} '${u.label}'`)
        .join(', ')}`,
    );
  if (siteMismatch.length > 0)
    warnings.push(`label station and site column disagree for ${siteMismatch.slice(0, 10).join(', ')}`);
  const tables: ResultTable[] = [
    {
      id: 'anatomical-stations-counts',
      title: 'Pre-CART lesions per anatomical station',
      columns: ['station', 'region', 'lesions', 'patients'],
      rows: counts,
    },
    {
      id: 'anatomical-stations-mapping',
      title: 'Mapping of lesion label terms to stations',
      columns: ['station', 'region', 'terms'],
      rows: STATION_TABLE.map((s) => ({ station: s.station, region: s.region, terms: s.terms.join('; ') })),
    },
  ];
  const figures: ResultFigure[] = [];
  const findings: string[] = [
    `${mapped.length} pre-CART lesions in ${counts.length} stations${unmapped.length > 0 ? ` (${unmapped.length} unmapped)` : ''}.`,
  ];
  const parts = { tables, figures, findings, warnings };
  const model = (key: 'nodal' | 'all', cmp: GroupComparison | string, title: string) =>
    stationModelParts(key, cmp, title, parts);
  model('nodal', nodal, 'Nodal stations');
  model('all', all, 'All stations');
  figures.unshift(
    vegaLiteFigure('anatomical-stations-counts', 'Pre-CART lesions per anatomical station', undefined, {
      width: 380,
      height: 260,
      data: { values: counts },
      mark: { type: 'bar' },
      encoding: {
        y: { field: 'station', type: 'nominal', sort: allLevels, title: null },
        x: { field: 'lesions', type: 'quantitative', title: 'Lesions' },
        color: { field: 'region', type: 'nominal', title: 'Region' },
      },
    }),
  );
  return {
    ...base,
    status: 'ok',
    n: { patients: countPatients(mapped), lesions: mapped.length },
    results: {
      counts,
      nodal: typeof nodal === 'string' ? { notFitted: nodal } : nodal,
      all: typeof all === 'string' ? { notFitted: all } : all,
      unmapped,
      lesions: mapped,
    },
    findings,
    tables,
    figures,
    ...(warnings.length > 0 ? { warnings } : {}),
  };
}
