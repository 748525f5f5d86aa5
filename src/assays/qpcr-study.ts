/**
 * qPCR of a study: from the raw wells of a bundle's `qpcr.csv` to CAR-transgene (or CD8) copies per
 * cell per patient and day (docs/references/assays.md §1: copies/µL target ÷ copies/µL reference gene × 2, both from a
 * standard curve of 10¹–10⁶ copies on the same plate; triplicates). No I/O.
 *
 * Per plate and target, the standard wells give a standard curve (`standardCurve`, OLS of Ct on
 * log10 copies). Per plate, target, patient and day, the sample replicates are summarised
 * (`summariseReplicates`: outliers > 0.5 cycles from the median flagged and left out, undetermined
 * wells flagged) and their mean Ct converted to copies/µL. Copies per cell are formed on each plate
 * from the target and the reference gene of the same patient and day.
 */
import { InputError } from '../errors.js';
import {
  copiesPerCell,
  quantityFromCt,
  standardCurve,
  summariseReplicates,
  type StandardCurve,
} from './qpcr.js';

/** One well of `qpcr.csv`. `ct` is NaN for an undetermined well. `row` is its 1-based data row. */
export interface QpcrWell {
  row: number;
  plate: string;
  role: 'standard' | 'sample';
  target: string;
  /** Copies/µL of a standard well (null for samples). */
  quantity: number | null;
  patientId: string | null;
  day: number | null;
  ct: number;
}

export interface QpcrCurveRow extends StandardCurve {
  plate: string;
  target: string;
}

export interface QpcrSampleRow {
  plate: string;
  target: string;
  patientId: string;
  day: number;
  /** Mean Ct of the replicates used. */
  meanCt: number;
  sdCt: number;
  /** Replicates used / flagged (outlier or undetermined). */
  nUsed: number;
  nFlagged: number;
  /** Copies/µL from the plate's standard curve of this target (NaN when no replicate amplified). */
  copiesPerUl: number;
}

export interface QpcrStudyResult {
  curves: QpcrCurveRow[];
  samples: QpcrSampleRow[];
  /** Copies per cell per patient, day and non-reference target: analyte `<target>_copies_per_cell`. */
  copiesPerCell: { patientId: string; day: number; analyte: string; value: number }[];
}

/**
 * Standard curves, replicate summaries and copies per cell of a study's qPCR wells.
 * @param wells the wells of `qpcr.csv`
 * @param referenceTarget the single-copy reference gene (docs/references/assays.md §1: GATA2), two copies per cell
 * @param file the table's path, for error messages
 * @throws InputError naming file, row and field when a sample's target has no standard curve on its
 *   plate, or a patient-day has a target but no reference-gene measurement on the same plate
 * @throws ComputationError from `standardCurve` (fewer than 3 amplified standards, one level)
 */
export function qpcrCopiesPerCell(
  wells: QpcrWell[],
  referenceTarget: string,
  file = 'qpcr.csv',
): QpcrStudyResult {
  const key = (...p: (string | number)[]): string => p.join('\u0000');
  const standards = new Map<string, QpcrWell[]>();
  const samples = new Map<string, QpcrWell[]>();
  for (const w of wells) {
    if (w.role === 'standard') {
      const k = key(w.plate, w.target);
      standards.set(k, [...(standards.get(k) ?? []), w]);
    } else {
      const k = key(w.plate, w.target, w.patientId!, w.day!);
      samples.set(k, [...(samples.get(k) ?? []), w]);
    }
  }
  const curves = new Map<string, QpcrCurveRow>();
  for (const [k, ws] of standards) {
    let c: StandardCurve;
    try {
      c = standardCurve(
        ws.map((w) => w.quantity!),
        ws.map((w) => w.ct),
      );
    } catch (e) {
      throw new InputError(
        `standard curve of ${ws[0]!.target} on plate ${ws[0]!.plate}: ${(e as Error).message}`,
        {
          file,
          row: ws[0]!.row,
          field: 'quantity',
        },
      );
    }
    curves.set(k, { plate: ws[0]!.plate, target: ws[0]!.target, ...c });
  }
  const sampleRows: QpcrSampleRow[] = [];
  for (const ws of samples.values()) {
    const w0 = ws[0]!;
    const curve = curves.get(key(w0.plate, w0.target));
    if (!curve) {
      throw new InputError(`no standard wells for target ${w0.target} on plate ${w0.plate}`, {
        file,
        row: w0.row,
        field: 'target',
        value: w0.target,
      });
    }
    const rep = summariseReplicates(ws.map((w) => w.ct));
    const flagged = rep.flagged.filter(Boolean).length;
    sampleRows.push({
      plate: w0.plate,
      target: w0.target,
      patientId: w0.patientId!,
      day: w0.day!,
      meanCt: rep.mean,
      sdCt: rep.sd,
      nUsed: rep.n,
      nFlagged: flagged,
      copiesPerUl: rep.n > 0 ? quantityFromCt(curve, rep.mean) : NaN,
    });
  }
  const out: QpcrStudyResult['copiesPerCell'] = [];
  for (const s of sampleRows) {
    if (s.target === referenceTarget) continue;
    const ref = sampleRows.find(
      (r) =>
        r.target === referenceTarget && r.plate === s.plate && r.patientId === s.patientId && r.day === s.day,
    );
    if (!ref) {
      const w = wells.find(
        (x) =>
          x.role === 'sample' &&
          x.plate === s.plate &&
          x.target === s.target &&
          x.patientId === s.patientId &&
          x.day === s.day,
      )!;
      throw new InputError(
        `no ${referenceTarget} (reference gene) wells for patient ${s.patientId}, day ${s.day} on plate ${s.plate}`,
        { file, row: w.row, field: 'target', value: s.target },
      );
    }
    out.push({
      patientId: s.patientId,
      day: s.day,
      analyte: `${s.target.toLowerCase()}_copies_per_cell`,
      value: Number.isFinite(s.copiesPerUl) ? copiesPerCell(s.copiesPerUl, ref.copiesPerUl) : 0,
    });
  }
  return { curves: [...curves.values()], samples: sampleRows, copiesPerCell: out };
}
