/**
 * Flat analysis tables of a StudyData for the R comparison (trial.R): exactly the rows our analyses
 * use (lesion rows after the uptake-interval filter, organ VOIs of eligible scans, per-patient
 * outcomes, toxicity and MATV, blood-pool/CD8 pairs, biopsies).
 */
import { deriveOutcomes } from '../../src/analysis/outcomes.js';
import { scanEligible, scanUptakeDays, tumourData } from '../../src/analysis/lesions.js';
import { patientMatv } from '../../src/analysis/outcomes-hr.js';
import { planSettings } from '../../src/analysis/settings.js';
import type { StudyData } from '../../src/study/model.js';

type Row = Record<string, string | number | boolean | null>;
export interface FlatTable {
  columns: string[];
  rows: Row[];
}

function table(rows: Row[]): FlatTable {
  return { columns: rows.length > 0 ? Object.keys(rows[0]!) : [], rows };
}

/** The analysis tables of a study (see module doc). */
export function exportAnalysisTables(study: StudyData): Record<string, FlatTable> {
  const td = tumourData(study);
  const s = planSettings(study.settings);
  const lesions = table(
    td.rows.map((r) => ({
      patient: r.patientId,
      lesion: r.lesionId,
      timepoint: r.timepoint,
      cohort: r.cohort,
      ebv: r.ebvPositive,
      bridging: r.bridging,
      site: r.site,
      irradiated: r.irradiated,
      volume_ml: r.volumeMl,
      suvpeak: r.suvPeak,
      in_pvc_fit: r.inPvcFit,
      suvpeak_corrected_ts: r.suvPeakCorrected,
    })),
  );
  const uptake = scanUptakeDays(study);
  const scans = new Map(study.scans.map((x) => [x.scanId, x]));
  const organs = table(
    study.vois
      .filter(
        (v) =>
          v.kind === 'organ' &&
          v.tracer === study.tracer.name &&
          scanEligible(uptake, v.scanId, s.uptakeDays),
      )
      .map((v) => ({
        patient: v.patientId,
        organ: v.label,
        timepoint: v.timepoint,
        day: scans.get(v.scanId)!.day,
        suvmean: v.suvMean,
      })),
  );
  const tox = new Map(study.toxicity.map((t) => [t.patientId, t]));
  const matv = patientMatv(study);
  const patients = table(
    deriveOutcomes(study).map((o) => {
      const p = study.patients.find((x) => x.patientId === o.patientId)!;
      return {
        patient: o.patientId,
        histology: p.histology,
        excluded: td.excludedPatients.includes(o.patientId),
        best_response: o.bestResponse,
        crs_grade: tox.get(o.patientId)?.crsGrade ?? null,
        icans_grade: tox.get(o.patientId)?.icansGrade ?? null,
        ttp_days: o.ttp.days,
        ttp_event: o.ttp.event ? 1 : 0,
        pfs_days: o.pfs.days,
        pfs_event: o.pfs.event ? 1 : 0,
        os_days: o.os.days,
        os_event: o.os.event ? 1 : 0,
        matv_ml: matv.get(o.patientId) ?? null,
      };
    }),
  );
  const labs = table(
    study.labs.map((l) => ({ patient: l.patientId, day: l.day, analyte: l.analyte, value: l.value })),
  );
  const biopsies = table(
    study.biopsies.map((b) => ({ patient: b.patientId, lesion: b.lesionId, cd8_percent: b.cd8Percent })),
  );
  return { lesions, organs, patients, labs, biopsies };
}
