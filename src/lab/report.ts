/**
 * The lab report of an experiment (`carto lab`): one section per readout — its figure, ANOVA table, post-hoc
 * table, group summaries and values table — and the results.json document (docs/experiment-bundle.md
 * "results.json"). No I/O: src/lab/write-report.ts renders and writes the files.
 */
import type { AnalysisSection, ResultTable } from '../analysis/types.js';
import { CartoError } from '../errors.js';
import type { ExperimentDesign, Sample } from './experiment.js';
import { readoutFigureSpec } from './figure.js';
import type { Readout } from './readouts.js';
import { readoutStatistics, type ReadoutStatistics } from './statistics.js';

/** One readout's section with its statistics (null when it could not be analysed). */
export interface LabSection {
  section: AnalysisSection;
  readout: Readout;
  stats: ReadoutStatistics | null;
}

const METHOD_NAME = { dunnett: 'Dunnett', bonferroni: 'Bonferroni', tukey: 'Tukey HSD' } as const;

function table(id: string, title: string, columns: string[], rows: ResultTable['rows']): ResultTable {
  return { id, title, columns, rows };
}

/**
 * Sections of the lab report, in readout order.
 * @returns one section per readout; a readout that cannot be analysed (fewer than 2 groups, a model that cannot
 *   be fitted) is a not-run section saying why, with its values table
 */
export function labSections(readouts: Readout[], samples: Sample[], d: ExperimentDesign): LabSection[] {
  const byId = new Map(samples.map((s) => [s.id, s]));
  return readouts.map((readout) => {
    const title = `${readout.title} [${readout.unit}]`;
    let stats: ReadoutStatistics;
    try {
      stats = readoutStatistics(readout, byId, d);
    } catch (e) {
      if (!(e instanceof CartoError)) throw e;
      return {
        readout,
        stats: null,
        section: {
          id: readout.id,
          title: readout.title,
          status: 'not-run',
          reason: e.message,
          description: `${readout.assay}: ${readout.values.size} samples`,
          results: {},
          tables: [],
          figures: [],
        },
      };
    }
    const ph = stats.posthoc;
    const stratified = stats.groups.some((g) => g.stratum !== null);
    const timeOnly =
      d.time !== null &&
      stats.groups.some((g) => g.stratum?.startsWith(`${d.time!.name}=`)) &&
      d.factors.length === 1;
    const spec = readoutFigureSpec(
      stats,
      title,
      d.factors[0]!.levels,
      d.statistics.errorBars,
      timeOnly ? d.time!.name : null,
    );
    const err = d.statistics.errorBars === 'sd' ? 'SD' : 'SEM';
    const phText =
      ph === null
        ? 'no post-hoc comparisons (see the warnings)'
        : `${METHOD_NAME[ph.method]} ${ph.family === 'against control' ? `against ${ph.control}` : 'all pairs'} on ${ph.grouping}` +
          (ph.comparisons.some((c) => c.stratum !== null) ? ', within each cell of the other terms' : '');
    const description =
      `${readout.assay}; ${stats.values.length} samples. ` +
      (stats.model === 'fixed'
        ? 'ANOVA with type I (sequential) sums of squares (R anova(lm())); '
        : 'linear mixed model (REML), type III F tests with Satterthwaite df (lmerTest anova()); ') +
      `${phText}; adjusted p with GraphPad Prism's stars (ns > 0.05, * ≤ 0.05, ** ≤ 0.01, *** ≤ 0.001, **** ≤ 0.0001). ` +
      `Bars: mean ± ${err}; points: replicates.`;
    const findings = (ph?.comparisons ?? []).map(
      (c) =>
        `${c.a} − ${c.b}${c.stratum ? ` (${c.stratum})` : ''}: ${c.diff.toPrecision(3)} ${readout.unit}, adjusted p ${c.pAdjusted < 1e-4 ? c.pAdjusted.toExponential(2) : c.pAdjusted.toPrecision(3)} ${c.stars}`,
    );
    const id = readout.id;
    const section: AnalysisSection = {
      id,
      title: readout.title,
      status: 'ok',
      description,
      formula: stats.formula,
      n: { observations: stats.values.length },
      results: {},
      findings,
      warnings: [...readout.notes, ...stats.warnings],
      tables: [
        table(
          `${id}-anova`,
          'ANOVA',
          Object.keys(stats.rows[0] ?? { term: 0 }),
          stats.rows.map((r) => ({ ...r })),
        ),
        ...(ph
          ? [
              table(
                `${id}-posthoc`,
                `Post-hoc: ${phText}`,
                [
                  ...(stratified ? ['stratum'] : []),
                  ...['a', 'b', 'diff', 'se', 't', 'df', 'pValue', 'pAdjusted', 'stars', 'lwr', 'upr'],
                ],
                ph.comparisons.map((c) => ({ ...c })),
              ),
            ]
          : []),
        table(
          `${id}-groups`,
          `Groups: n, mean, SD, SEM`,
          [...(stratified ? ['stratum'] : []), 'level', 'n', 'mean', 'sd', 'sem'],
          stats.groups.map((g) => ({ ...g })),
        ),
        table(`${id}-values`, 'Values (one row per sample)', stats.columns, stats.values),
      ],
      figures: [
        {
          id,
          title,
          caption: `${readout.title}: mean ± ${err}, replicates as points; ${phText}.`,
          source: { kind: 'vega-lite', spec },
        },
      ],
    };
    return { readout, stats, section };
  });
}

/**
 * The results.json document: per readout section its formula, values table id, ANOVA `rows` (term, df, F, pValue)
 * and `posthoc.comparisons` (a, b, diff, pAdjusted …) in `carto stats anova --json`'s shape; the values tables in
 * full under `tables`.
 */
export function labResultsDocument(
  d: ExperimentDesign,
  sections: LabSection[],
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const tables: Record<string, unknown> = {};
  for (const { section: s, readout, stats } of sections) {
    out[s.id] = {
      title: s.title,
      assay: readout.assay,
      unit: readout.unit,
      status: s.status,
      ...(s.reason !== undefined ? { reason: s.reason } : {}),
      ...(stats
        ? {
            formula: stats.formula,
            model: stats.model,
            balanced: stats.balanced,
            n: stats.values.length,
            values: `${s.id}-values`,
            rows: stats.rows,
            residual: stats.residual,
            posthoc: stats.posthoc,
            groups: stats.groups,
          }
        : {}),
      warnings: s.warnings ?? [],
      tables: s.tables.map((t) => t.id),
      figures: s.figures.map((f) => f.id),
    };
    if (stats) tables[`${s.id}-values`] = { columns: stats.columns, rows: stats.values };
  }
  return {
    generator: 'cartography 0.1.0',
    experiment: {
      name: d.name,
      description: d.description,
      factors: d.factors,
      donors: d.donors,
      replicates: d.replicates,
      time: d.time,
      statistics: d.statistics,
    },
    sectionOrder: sections.map((x) => x.section.id),
    sections: out,
    tables,
    ...extra,
  };
}
