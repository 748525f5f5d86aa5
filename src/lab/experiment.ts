/**
 * The experiment of a lab study (docs/experiment-bundle.md): `experiment.json` (the design — factors with
 * their levels and control level, donors as a blocking or random factor, replicates, time points — the
 * statistics asked for and the assays present) and `samples.csv` (one row per sample = condition × donor ×
 * replicate × time). Schema, validation and the balance check; no I/O (src/lab/read.ts reads the files).
 */
import { z } from 'zod';
import { InputError } from '../errors.js';
import type { CsvTable } from '../io/csv.js';
import { unknownNameHint } from '../nearest-name.js';
import { parseStrict } from '../study/json-input.js';
import { RowReader } from '../study/row-reader.js';

const NAME_RE = /^[A-Za-z][A-Za-z0-9_]*$/;
/** Column names the design may not use for a factor (they are the values table's own columns). */
const RESERVED_COLUMNS = ['sample', 'replicate', 'value'];

const factorSchema = z.strictObject({
  /** Column name in samples.csv and in the values tables (an R name: letters, digits, `_`). */
  name: z.string().regex(NAME_RE, 'a factor name is a column name: a letter, then letters, digits or _'),
  levels: z.array(z.string().min(1)).min(2),
  /** The control level (post-hoc comparisons against it; the first level when absent). */
  control: z.string().min(1).optional(),
});

const readoutId = z.string().regex(/^[a-z0-9_]+$/, 'a readout id matches [a-z0-9_]+');
const markerThreshold = z.strictObject({
  channel: z.string().min(1),
  threshold: z.number().refine(Number.isFinite),
});
const gateId = z.string().min(1);

/** The kinds of flow readout (docs/experiment-bundle.md); `gate` when `kind` is absent. */
export const FLOW_READOUT_KINDS = [
  'gate',
  'beadCount',
  'viability',
  'proliferation',
  'percentPositive',
  'senescence',
] as const;

/** Memory subsets a senescence readout is reported within (src/flow/phenotype.ts). */
export const MEMORY_SUBSET_NAMES = ['naive', 'tscm', 'tcm', 'tem', 'temra'] as const;
/** A memory subset of a senescence readout. */
export type MemorySubsetName = (typeof MEMORY_SUBSET_NAMES)[number];

/** One flow readout of `assays.flow.readouts` (docs/experiment-bundle.md, src/flow/*). */
const flowReadoutSchema = z.discriminatedUnion('kind', [
  /** A gate's % of parent or event count (src/flow/gates.ts). */
  z.strictObject({
    kind: z.literal('gate'),
    id: readoutId,
    title: z.string().min(1).optional(),
    gate: gateId,
    statistic: z.enum(['percent-of-parent', 'count']).default('percent-of-parent'),
  }),
  /** Cells/µL from counting beads (src/flow/counts.ts `absoluteCountPerUl`). */
  z.strictObject({
    kind: z.literal('beadCount'),
    id: readoutId,
    title: z.string().min(1).optional(),
    cellGate: gateId,
    beadGate: gateId,
    beadsPerTest: z.number().positive(),
    volumeUl: z.number().positive(),
    dilution: z.number().positive().default(1),
  }),
  /** One Annexin V / dead-dye quadrant, % of the parent (src/flow/viability.ts `viabilityQuadrants`). */
  z.strictObject({
    kind: z.literal('viability'),
    id: readoutId,
    title: z.string().min(1).optional(),
    gate: gateId.optional(),
    annexin: markerThreshold,
    dead: markerThreshold,
    fraction: z.enum(['live', 'earlyApoptotic', 'lateApoptotic', 'necrotic']),
  }),
  /** A proliferation index of a dye-dilution channel (src/flow/proliferation.ts `fitDyeDilution`). */
  z.strictObject({
    kind: z.literal('proliferation'),
    id: readoutId,
    title: z.string().min(1).optional(),
    gate: gateId.optional(),
    channel: z.string().min(1),
    index: z.enum([
      'percentDivided',
      'divisionIndex',
      'proliferationIndex',
      'expansionIndex',
      'replicationIndex',
    ]),
    /** Sample of samples.csv (with its FCS file in flow.csv) whose dye places the undivided peak. */
    undividedControl: z.string().min(1).optional(),
    generations: z.number().int().min(2).max(20).default(8),
  }),
  /** % of the gate positive for a marker (src/flow/markers.ts `markerPositivity`). */
  z
    .strictObject({
      kind: z.literal('percentPositive'),
      id: readoutId,
      title: z.string().min(1).optional(),
      gate: gateId.optional(),
      channel: z.string().min(1),
      threshold: z.number().refine(Number.isFinite).optional(),
      /** FMO / isotype control sample: the threshold is its `controlQuantile` quantile in the same gate. */
      fmoSample: z.string().min(1).optional(),
      controlQuantile: z.number().gt(0).lt(1).default(0.99),
    })
    .refine((r) => (r.threshold === undefined) !== (r.fmoSample === undefined), {
      message: 'give either threshold or fmoSample',
      path: ['threshold'],
    }),
  /**
   * % of each memory subset (CD45RA / CCR7 ± CD45RO, CD95) meeting a senescence criterion (CD28lo, CD27lo,
   * CD57+, KLRG1+; src/flow/markers.ts `senescenceByMemorySubset`): one readout `<id>_<subset>` per subset.
   */
  z.strictObject({
    kind: z.literal('senescence'),
    id: readoutId,
    title: z.string().min(1).optional(),
    gate: gateId.optional(),
    memory: z.strictObject({
      CD45RA: markerThreshold,
      CCR7: markerThreshold,
      CD45RO: markerThreshold.optional(),
      CD95: markerThreshold.optional(),
    }),
    marker: z.enum(['CD28', 'CD27', 'CD57', 'KLRG1']),
    channel: z.string().min(1),
    threshold: z.number().refine(Number.isFinite),
    subsets: z.array(z.enum(MEMORY_SUBSET_NAMES)).min(1).default(['naive', 'tcm', 'tem', 'temra']),
  }),
]);

/**
 * A readout derived across samples from another readout (docs/experiment-bundle.md "Derived readouts"):
 * expansion folds against a reference time, killing kinetics of target counts over time.
 */
const derivedSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('expansionFold'),
    id: readoutId,
    title: z.string().min(1).optional(),
    /** The count readout (e.g. `cells_per_ml`, a flow `beadCount`). */
    from: readoutId,
    reference: z.strictObject({ time: z.number().refine(Number.isFinite) }),
  }),
  z.strictObject({
    kind: z.literal('killingKinetics'),
    id: readoutId,
    title: z.string().min(1).optional(),
    /** The surviving-target count readout (e.g. `molm_13_per_ml`). */
    from: readoutId,
    /** `initial`: against the series' count at the first time point; `{ control }`: the target-alone level. */
    reference: z.union([z.literal('initial'), z.strictObject({ control: z.string().min(1) })]),
    /** `perTime`: % killed of each sample; `auc`: trapezoid AUC of % killed over time per series. */
    value: z.enum(['perTime', 'auc']).default('perTime'),
  }),
]);

/** A derived readout of experiment.json `derived`. */
export type DerivedReadoutSpec = z.infer<typeof derivedSchema>;

/** A flow readout of experiment.json `assays.flow.readouts`. */
export type FlowReadoutSpec = z.infer<typeof flowReadoutSchema>;

const assaysSchema = z.strictObject({
  cytotoxicity: z.strictObject({ file: z.string().min(1) }).optional(),
  cytokines: z
    .strictObject({
      file: z.string().min(1),
      curveModel: z.enum(['3pl', '4pl', '5pl']).default('4pl'),
      belowLloq: z.enum(['half-lloq', 'lloq', 'omit']).default('half-lloq'),
    })
    .optional(),
  qpcr: z.strictObject({ file: z.string().min(1), reference: z.string().min(1).default('GAPDH') }).optional(),
  flow: z
    .strictObject({
      file: z.string().min(1),
      compensate: z.boolean().default(true),
      readouts: z.array(flowReadoutSchema).min(1),
    })
    .optional(),
  counts: z.strictObject({ file: z.string().min(1) }).optional(),
});

/** Schema of experiment.json, strict at every level. */
export const experimentJsonSchema = z.strictObject({
  name: z.string().min(1),
  description: z.string().optional(),
  factors: z.array(factorSchema).min(1).max(2),
  donors: z
    .strictObject({
      name: z.string().regex(NAME_RE).default('donor'),
      levels: z.array(z.string().min(1)).min(2),
      /** `block`: a fixed blocking term (`y ~ donor + condition`); `random`: `(1 | donor)` (lmerTest). */
      model: z.enum(['block', 'random']).default('block'),
    })
    .optional(),
  replicates: z.number().int().min(1),
  time: z
    .strictObject({
      name: z.string().regex(NAME_RE).default('day'),
      unit: z.string().min(1).default('day'),
      levels: z.array(z.number().refine(Number.isFinite)).min(1),
    })
    .optional(),
  statistics: z
    .strictObject({
      posthoc: z.enum(['dunnett', 'bonferroni', 'tukey']).default('dunnett'),
      /** `control`: each level against the control (Dunnett, Bonferroni); `all`: all pairs (Tukey, Bonferroni). */
      compare: z.enum(['control', 'all']).optional(),
      errorBars: z.enum(['sd', 'sem']).default('sd'),
      level: z.number().gt(0).lt(1).default(0.95),
    })
    .default({ posthoc: 'dunnett', errorBars: 'sd', level: 0.95 }),
  assays: assaysSchema,
  derived: z.array(derivedSchema).optional(),
});

/** The validated experiment.json. */
export type ExperimentJson = z.infer<typeof experimentJsonSchema>;

/** A design factor with its control level resolved. */
export interface DesignFactor {
  name: string;
  levels: string[];
  control: string;
}

/** The experiment's design as the analysis reads it. */
export interface ExperimentDesign {
  name: string;
  description: string | null;
  factors: DesignFactor[];
  donors: { name: string; levels: string[]; model: 'block' | 'random' } | null;
  replicates: number;
  time: { name: string; unit: string; levels: number[] } | null;
  statistics: {
    posthoc: 'dunnett' | 'bonferroni' | 'tukey';
    compare: 'control' | 'all';
    errorBars: 'sd' | 'sem';
    level: number;
  };
  assays: ExperimentJson['assays'];
  derived: DerivedReadoutSpec[];
}

/**
 * Validates a parsed experiment.json.
 * @param raw the JSON value
 * @param file experiment.json's path, for errors
 * @returns the design with controls and the post-hoc family resolved
 * @throws InputError naming file and field: unknown key (with the nearest known one), a value of the wrong
 *   type, a duplicate level or column name, a control that is not a level, Tukey with `compare: control`,
 *   Dunnett with `compare: all`, no assay
 */
export function parseExperimentJson(raw: unknown, file: string): ExperimentDesign {
  const e = parseStrict(experimentJsonSchema, withFlowKinds(raw, file), { file });
  const fail = (field: string, message: string, value?: unknown): never => {
    throw new InputError(message, { file, field, ...(value !== undefined ? { value } : {}) });
  };
  const columns = new Set<string>();
  const claim = (name: string, field: string): void => {
    if (RESERVED_COLUMNS.includes(name))
      fail(field, `"${name}" is a column of every values table; choose another name`, name);
    if (columns.has(name)) fail(field, 'two design columns have the same name', name);
    columns.add(name);
  };
  const factors = e.factors.map((f, i) => {
    claim(f.name, `factors[${i}].name`);
    const dup = f.levels.find((l, k) => f.levels.indexOf(l) !== k);
    if (dup !== undefined) fail(`factors[${i}].levels`, 'a level is listed twice', dup);
    const control = f.control ?? f.levels[0]!;
    if (!f.levels.includes(control))
      fail(
        `factors[${i}].control`,
        `control is not a level of ${f.name} (${unknownNameHint(control, f.levels)})`,
        control,
      );
    return { name: f.name, levels: f.levels, control };
  });
  if (e.donors) {
    claim(e.donors.name, 'donors.name');
    const dup = e.donors.levels.find((l, k) => e.donors!.levels.indexOf(l) !== k);
    if (dup !== undefined) fail('donors.levels', 'a donor is listed twice', dup);
  }
  if (e.time) {
    claim(e.time.name, 'time.name');
    const dup = e.time.levels.find((l, k) => e.time!.levels.indexOf(l) !== k);
    if (dup !== undefined) fail('time.levels', 'a time point is listed twice', dup);
  }
  const s = e.statistics;
  const compare = s.compare ?? (s.posthoc === 'tukey' ? 'all' : 'control');
  if (s.posthoc === 'tukey' && compare === 'control')
    fail(
      'statistics.compare',
      'Tukey HSD compares all pairs: use dunnett or bonferroni against the control',
      compare,
    );
  if (s.posthoc === 'dunnett' && compare === 'all')
    fail(
      'statistics.compare',
      'Dunnett compares against the control: use tukey or bonferroni for all pairs',
      compare,
    );
  if (Object.values(e.assays).every((a) => a === undefined))
    fail('assays', 'no assay: list at least one of cytotoxicity, cytokines, qpcr, flow, counts');
  return {
    name: e.name,
    description: e.description ?? null,
    factors,
    donors: e.donors ?? null,
    replicates: e.replicates,
    time: e.time ?? null,
    statistics: { posthoc: s.posthoc, compare, errorBars: s.errorBars, level: s.level },
    assays: e.assays,
    derived: checkedDerived(e, factors, file),
  };
}

/**
 * Checks what the schema cannot: a senescence readout's subsets against its memory markers, and each derived
 * readout against the design (time points, control level).
 * @throws InputError naming experiment.json, the field and the value
 */
function checkedDerived(e: ExperimentJson, factors: DesignFactor[], file: string): DerivedReadoutSpec[] {
  const fail = (field: string, message: string, value: unknown): never => {
    throw new InputError(message, { file, field, value });
  };
  (e.assays.flow?.readouts ?? []).forEach((r, i) => {
    if (r.kind !== 'senescence') return;
    const field = `assays.flow.readouts[${i}].subsets`;
    const dup = r.subsets.find((x, k) => r.subsets.indexOf(x) !== k);
    if (dup !== undefined) fail(field, 'a subset is listed twice', dup);
    if (r.subsets.includes('tscm') && !r.memory.CD45RO && !r.memory.CD95)
      fail(field, 'stem-cell memory (tscm) needs a CD45RO or CD95 channel in memory', 'tscm');
  });
  const derived = e.derived ?? [];
  derived.forEach((d, i) => {
    const field = (f: string): string => `derived[${i}].${f}`;
    const time = e.time;
    if (!time)
      throw new InputError(`${d.kind} works over time: experiment.json has no time (time.levels)`, {
        file,
        field: field('kind'),
        value: d.kind,
      });
    if (d.kind === 'expansionFold' && !time.levels.includes(d.reference.time))
      fail(
        field('reference.time'),
        `reference time is not in experiment.json time.levels (${time.levels.join(', ')})`,
        d.reference.time,
      );
    if (d.kind === 'killingKinetics' && d.reference !== 'initial') {
      const main = factors[0]!;
      if (!main.levels.includes(d.reference.control))
        fail(
          field('reference.control'),
          `the target-alone control is not a level of ${main.name} (${unknownNameHint(d.reference.control, main.levels)})`,
          d.reference.control,
        );
    }
  });
  return derived;
}

/**
 * experiment.json with `kind: "gate"` filled into flow readouts that have none (today's gate readouts).
 * @throws InputError naming `assays.flow.readouts[i].kind` for a kind that is not known (with the nearest one)
 */
function withFlowKinds(raw: unknown, file: string): unknown {
  const flow = (raw as { assays?: { flow?: { readouts?: unknown } } } | null)?.assays?.flow;
  if (!flow || !Array.isArray(flow.readouts)) return raw;
  const readouts = flow.readouts.map((r: unknown, i) => {
    if (r === null || typeof r !== 'object' || Array.isArray(r)) return r;
    const kind = (r as { kind?: unknown }).kind;
    if (kind === undefined) return { kind: 'gate', ...r };
    if (!(FLOW_READOUT_KINDS as readonly unknown[]).includes(kind))
      throw new InputError(
        `unknown flow readout kind (${unknownNameHint(typeof kind === 'string' ? kind : JSON.stringify(kind), [...FLOW_READOUT_KINDS])})`,
        { file, field: `assays.flow.readouts[${i}].kind`, value: kind },
      );
    return r;
  });
  const o = raw as { assays: { flow: object } };
  return { ...o, assays: { ...o.assays, flow: { ...o.assays.flow, readouts } } };
}

/** One sample: a culture well of one condition, donor, replicate and time. */
export interface Sample {
  id: string;
  /** 1-based data row of samples.csv. */
  row: number;
  /** Level of each design factor, by factor name. */
  levels: Record<string, string>;
  donor: string | null;
  replicate: number;
  time: number | null;
}

/** The columns samples.csv must have for a design. */
export function sampleColumns(d: ExperimentDesign): string[] {
  return [
    'sample',
    ...d.factors.map((f) => f.name),
    ...(d.donors ? [d.donors.name] : []),
    'replicate',
    ...(d.time ? [d.time.name] : []),
  ];
}

/**
 * Reads the rows of samples.csv against the design.
 * @param table samples.csv (header already checked against `sampleColumns`)
 * @returns the samples in file order
 * @throws InputError naming samples.csv, row, column and value: a level, donor or time point not in the design
 *   (with the nearest one), a replicate outside 1…replicates, a sample ID used twice, two samples with the same
 *   condition, donor, replicate and time
 */
export function readSamples(table: CsvTable, d: ExperimentDesign): Sample[] {
  const ids = new Map<string, number>();
  const cells = new Map<string, number>();
  return table.rows.map((_, i) => {
    const r = new RowReader(table, i);
    const id = r.id('sample');
    const prev = ids.get(id);
    if (prev !== undefined) r.fail('sample', `sample ID already used in row ${prev}`, id);
    ids.set(id, i + 1);
    const level = (column: string, levels: string[], what: string): string => {
      const v = r.requiredString(column);
      if (!levels.includes(v))
        r.fail(column, `${what} is not in the design of experiment.json (${unknownNameHint(v, levels)})`, v);
      return v;
    };
    const levels: Record<string, string> = {};
    for (const f of d.factors) levels[f.name] = level(f.name, f.levels, `${f.name} level`);
    const donor = d.donors ? level(d.donors.name, d.donors.levels, 'donor') : null;
    const replicate = r.number('replicate', true, { integer: true, min: 1, max: d.replicates });
    let time: number | null = null;
    if (d.time) {
      time = r.number(d.time.name, true);
      if (!d.time.levels.includes(time))
        r.fail(
          d.time.name,
          `time point is not in experiment.json time.levels (${d.time.levels.join(', ')})`,
          time,
        );
    }
    const cell = [...Object.values(levels), donor ?? '', replicate, time ?? ''].join('\u0000');
    const same = cells.get(cell);
    if (same !== undefined)
      r.fail('replicate', `row ${same} has the same condition, donor, replicate and time`, replicate);
    cells.set(cell, i + 1);
    return { id, row: i + 1, levels, donor, replicate, time };
  });
}

/**
 * The design's missing cells: every combination of factor levels × donor × time should have `replicates`
 * samples; an unbalanced design is analysed (type I sums of squares, Tukey–Kramer) but stated.
 * @returns one message per incomplete cell (empty when balanced)
 */
export function balanceWarnings(samples: Sample[], d: ExperimentDesign, what = 'samples.csv'): string[] {
  const counts = new Map<string, number>();
  const key = (parts: (string | number)[]): string => parts.join(' × ');
  for (const s of samples) {
    const k = key([
      ...d.factors.map((f) => s.levels[f.name]!),
      ...(s.donor !== null ? [s.donor] : []),
      ...(s.time !== null ? [s.time] : []),
    ]);
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  let cells: (string | number)[][] = [[]];
  const dims: (string | number)[][] = [
    ...d.factors.map((f) => f.levels),
    ...(d.donors ? [d.donors.levels] : []),
    ...(d.time ? [d.time.levels] : []),
  ];
  for (const dim of dims) cells = cells.flatMap((c) => dim.map((l) => [...c, l]));
  const out: string[] = [];
  for (const c of cells) {
    const n = counts.get(key(c)) ?? 0;
    if (n !== d.replicates) out.push(`${what}: ${key(c)} has ${n} of ${d.replicates} replicates`);
  }
  return out;
}
