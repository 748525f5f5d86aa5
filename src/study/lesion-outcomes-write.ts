/**
 * Writes the lesion-outcome tables of a bundle (lesion_progression.csv, radiotherapy.csv;
 * docs/study-bundle.md) through the one bundle-table writer (src/study/bundle-write.ts).
 */
import { writeBundleTable } from './bundle-write.js';
import type { LesionOutcomes } from './lesion-outcomes.js';

/**
 * Writes lesion_progression.csv and radiotherapy.csv into the bundle folder `out` (a table with no
 * rows is not written).
 * @returns the files written (bundle-relative names)
 */
export function writeLesionOutcomeTables(out: string, o: LesionOutcomes): string[] {
  const files: string[] = [];
  if (o.lesionProgression.length > 0)
    files.push(
      writeBundleTable(
        out,
        'lesionProgression',
        o.lesionProgression.map((r) => ({
          patient_id: r.patientId,
          lesion_id: r.lesionId,
          date: r.date,
          day: r.day,
        })),
      ),
    );
  if (o.lesionRadiotherapy.length > 0)
    files.push(
      writeBundleTable(
        out,
        'radiotherapy',
        o.lesionRadiotherapy.map((r) => ({
          patient_id: r.patientId,
          lesion_id: r.lesionId,
          dose_gy: r.doseGy,
          fractions: r.fractions,
        })),
      ),
    );
  return files;
}
