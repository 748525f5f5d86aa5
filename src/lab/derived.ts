/**
 * Readouts derived across samples (experiment.json `derived`, docs/experiment-bundle.md "Derived readouts"):
 * the assay functions of src/flow/counts.ts that work on a series of time points rather than one sample.
 * A series is one condition × donor × replicate (all design factors, donor and replicate equal) over time.
 * - `expansionFold`: each sample's count / the count of the same series at the reference time
 *   (`expansionFolds`); the reference-time samples (fold 1 by definition) are left out.
 * - `killingKinetics`: % killed of the target count (`killingKinetics`) — against the series' count at the first
 *   time point of the design (`reference: "initial"`; those samples, 0 % by definition, left out) or against the
 *   target-alone wells (`reference: { control: <level of the first factor> }`, same other factors, donor,
 *   replicate and time; the control samples left out). `value: "perTime"` gives each sample its % killed;
 *   `value: "auc"` the trapezoid AUC of % killed over the design's time points (src/stats/auc.ts), one value per
 *   series, carried by the series' sample at the last time point; a series missing a time point is left out of
 *   the AUC, stated in the readout's notes.
 * No I/O.
 */
import { InputError } from '../errors.js';
import { expansionFolds, killingKinetics, type KillingPoint } from '../flow/counts.js';
import { unknownNameHint } from '../nearest-name.js';
import { trapezoidAuc } from '../stats/auc.js';
import type { DerivedReadoutSpec, ExperimentDesign, Sample } from './experiment.js';
import type { Readout } from './readouts.js';

/** One sample of a series with its value of the source readout. */
interface Point {
  sample: Sample;
  value: number;
}

/**
 * The source readout's samples grouped in series (sorted by time).
 * @param without a factor left out of the series key (the target-alone comparison's factor)
 */
function seriesOf(from: Readout, samples: Map<string, Sample>, d: ExperimentDesign, without?: string) {
  const out = new Map<string, Point[]>();
  for (const [id, value] of from.values) {
    const s = samples.get(id)!;
    const key = [
      ...d.factors.filter((f) => f.name !== without).map((f) => `${f.name}=${s.levels[f.name]}`),
      ...(d.donors ? [`${d.donors.name}=${s.donor}`] : []),
      `replicate=${s.replicate}`,
    ].join(', ');
    let p = out.get(key);
    if (!p) out.set(key, (p = []));
    p.push({ sample: s, value });
  }
  for (const p of out.values()) p.sort((a, b) => a.sample.time! - b.sample.time!);
  return out;
}

/** An InputError of a src/flow function, located at experiment.json's derived field and the sample. */
function located(e: unknown, file: string, field: string, what: string): never {
  if (e instanceof InputError) {
    const m = e.message.replace(/^.*?field [^:]*: /, '').replace(/ \(value: .*\)$/, '');
    throw new InputError(`${what}: ${m}`, {
      file,
      field,
      ...(e.location.value !== undefined ? { value: e.location.value } : {}),
    });
  }
  throw e;
}

/**
 * The derived readouts of an experiment, in experiment.json `derived` order.
 * @param readouts the readouts of the assay tables (the sources)
 * @param file experiment.json's path, for errors
 * @throws InputError naming experiment.json, the field `derived[i].<field>` and the value: a source readout
 *   that does not exist (with the nearest id), a series without its sample at the reference time (or first
 *   time point), a target-alone control sample missing, a reference count that is not > 0, a series missing a
 *   time point for an AUC
 */
export function derivedReadouts(
  d: ExperimentDesign,
  readouts: Readout[],
  samples: Map<string, Sample>,
  file: string,
): Readout[] {
  return d.derived.map((spec, i) => {
    const field = (f: string): string => `derived[${i}].${f}`;
    const from = readouts.find((r) => r.id === spec.from);
    if (!from)
      throw new InputError(
        `readout is not one of the experiment's (${unknownNameHint(
          spec.from,
          readouts.map((r) => r.id),
        )})`,
        { file, field: field('from'), value: spec.from },
      );
    const notes: string[] = [];
    const values =
      spec.kind === 'expansionFold'
        ? foldValues(spec, from, samples, d, file, field)
        : killingValues(spec, from, samples, d, file, field, notes);
    const time = d.time!;
    const unit =
      spec.kind === 'expansionFold' ? 'fold' : spec.value === 'auc' ? `% killed × ${time.unit}` : '% killed';
    const title =
      spec.title ??
      (spec.kind === 'expansionFold'
        ? `Expansion fold of ${from.title} vs ${time.name} ${spec.reference.time}`
        : `${spec.value === 'auc' ? 'AUC of % killed' : '% killed'} (${from.title})`);
    return { id: spec.id, assay: 'derived' as const, title, unit, values, notes };
  });
}

type Spec<K extends DerivedReadoutSpec['kind']> = Extract<DerivedReadoutSpec, { kind: K }>;

function foldValues(
  spec: Spec<'expansionFold'>,
  from: Readout,
  samples: Map<string, Sample>,
  d: ExperimentDesign,
  file: string,
  field: (f: string) => string,
): Map<string, number> {
  const ref = spec.reference.time;
  const values = new Map<string, number>();
  for (const [key, points] of seriesOf(from, samples, d)) {
    const refPoint = points.find((p) => p.sample.time === ref);
    if (!refPoint)
      throw new InputError(
        `${key} has no ${from.id} value at ${d.time!.name} ${ref} (the reference) for its samples ` +
          points.map((p) => p.sample.id).join(', '),
        { file, field: field('reference.time'), value: ref },
      );
    let folds: ReturnType<typeof expansionFolds>;
    try {
      folds = expansionFolds(
        points.map((p) => ({ time: p.sample.time!, count: p.value })),
        ref,
      );
    } catch (e) {
      located(e, file, field('from'), `reference sample ${refPoint.sample.id} (${from.id})`);
    }
    points.forEach((p, k) => {
      if (p !== refPoint) values.set(p.sample.id, folds[k]!.fold);
    });
  }
  return values;
}

function killingValues(
  spec: Spec<'killingKinetics'>,
  from: Readout,
  samples: Map<string, Sample>,
  d: ExperimentDesign,
  file: string,
  field: (f: string) => string,
  notes: string[],
): Map<string, number> {
  const time = d.time!;
  const first = Math.min(...time.levels);
  const main = d.factors[0]!;
  const control = spec.reference === 'initial' ? null : spec.reference.control;
  const values = new Map<string, number>();
  const series = seriesOf(from, samples, d, control === null ? undefined : main.name);
  for (const [key, all] of series) {
    const controlOf = new Map<number, Point>();
    let points = all;
    if (control !== null) {
      for (const p of all) if (p.sample.levels[main.name] === control) controlOf.set(p.sample.time!, p);
      points = all.filter((p) => p.sample.levels[main.name] !== control);
    }
    // one series per level of the first factor when it is left out of the key
    const byLevel = new Map<string, Point[]>();
    for (const p of points) {
      const l = p.sample.levels[main.name]!;
      byLevel.set(l, [...(byLevel.get(l) ?? []), p]);
    }
    for (const pts of byLevel.values()) {
      if (control === null && pts[0]!.sample.time !== first)
        throw new InputError(
          `${key} has no ${from.id} value at ${time.name} ${first} (the first time point, the reference) for ` +
            `its samples ${pts.map((p) => p.sample.id).join(', ')}`,
          { file, field: field('reference'), value: 'initial' },
        );
      const kp: KillingPoint[] = pts.map((p) => {
        const c = controlOf.get(p.sample.time!);
        if (control !== null && !c)
          throw new InputError(
            `sample ${p.sample.id} (${key}, ${time.name} ${p.sample.time}) has no target-alone sample ` +
              `${main.name}=${control} with a ${from.id} value`,
            { file, field: field('reference.control'), value: control },
          );
        return { time: p.sample.time!, targetCount: p.value, ...(c ? { controlCount: c.value } : {}) };
      });
      let res: ReturnType<typeof killingKinetics>;
      try {
        res = killingKinetics(kp, control === null ? 'initial' : 'control');
      } catch (e) {
        located(e, file, field('from'), `${key} (${from.id})`);
      }
      if (spec.value === 'perTime') {
        pts.forEach((p, k) => {
          if (control !== null || p.sample.time !== first) values.set(p.sample.id, res[k]!.percentKilled);
        });
        continue;
      }
      const missing = time.levels.filter((t) => !pts.some((p) => p.sample.time === t));
      if (missing.length > 0) {
        notes.push(
          `${key}, ${main.name}=${pts[0]!.sample.levels[main.name]}: no ${from.id} value at ${time.name} ` +
            `${missing.join(', ')}; left out of the AUC (it needs every time point)`,
        );
        continue;
      }
      const auc = trapezoidAuc(
        res.map((r) => r.time),
        res.map((r) => r.percentKilled),
      );
      values.set(pts[pts.length - 1]!.sample.id, auc);
    }
  }
  return values;
}
