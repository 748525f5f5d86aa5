/**
 * The tumour-lesion table every tumour analysis reads: one row per lesion VOI on a scan of the study's
 * tracer, joined with its patient and scan, carrying the measured SUVpeak (the IBSI peak the settings
 * name) and the partial-volume-corrected SUVpeak (docs/references/trial.md §4; src/stats/pvc.ts).
 *
 * The correction is fitted on pre-CART lesions that were not targets of bridging radiotherapy
 * (`irradiated` not true), EBV+ DLBCL patients left out when `excludeEbvPositive`, and applied to every
 * lesion row (pre and post). Computed once per StudyData object (WeakMap cache). No I/O.
 */
import { pvcFit, type PvcFit } from '../stats/pvc.js';
import type { StudyData } from '../study/model.js';
import { pvcLmmFitter } from './pvc-lmm.js';
import { planSettings, type PlanSettings } from './settings.js';

/** One lesion measured on one scan of the study's tracer. */
export interface LesionRow {
  patientId: string;
  lesionId: string;
  scanId: string;
  timepoint: string;
  /** Scan day relative to infusion (null when the bundle gives none). */
  day: number | null;
  cohort: string;
  histology: string;
  ebvPositive: boolean;
  bridging: string;
  site: string;
  irradiated: boolean | null;
  volumeMl: number;
  /** Measured SUVpeak (IBSI global or local intensity peak, per settings), g/mL. */
  suvPeak: number;
  suvMax: number;
  /** Partial-volume-corrected SUVpeak (equal to `suvPeak` when the correction is disabled). */
  suvPeakCorrected: number;
  /** Whether this row was in the correction's fitting set. */
  inPvcFit: boolean;
}

/**
 * Days from tracer injection to scan per scan ID, from the `tracer_injection` events that name a scan
 * (scans without such an event are absent from the map).
 */
export function scanUptakeDays(study: StudyData): Map<string, number> {
  const scanDay = new Map(study.scans.map((s) => [s.scanId, s.day]));
  const out = new Map<string, number>();
  for (const e of study.events) {
    if (e.event !== 'tracer_injection' || e.scanId === null) continue;
    const d = scanDay.get(e.scanId);
    if (d !== null && d !== undefined) out.set(e.scanId, d - e.day);
  }
  return out;
}

/** Whether a scan enters the uptake analyses under the `uptakeDays` setting. */
export function scanEligible(
  uptake: Map<string, number>,
  scanId: string,
  uptakeDays: number | null,
): boolean {
  if (uptakeDays === null) return true;
  const u = uptake.get(scanId);
  return u === undefined || Math.abs(u - uptakeDays) < 0.5;
}

/** The lesion table with the correction and the reason when it could not be fitted. */
export interface TumourData {
  settings: PlanSettings;
  rows: LesionRow[];
  pvc: PvcFit | null;
  /** Why the correction failed (null when fitted or disabled). Tumour analyses then do not run. */
  pvcError: string | null;
  /** Patients excluded from the primary tumour analyses (EBV+ when the setting is on). */
  excludedPatients: string[];
}

/** True when the histology is EBV+ DLBCL. */
export function isEbvPositiveHistology(histology: string): boolean {
  return /EBV\s*\+/i.test(histology);
}

const cache = new WeakMap<StudyData, TumourData>();

/**
 * The lesion table of a study, with the partial-volume correction applied.
 *
 * @param study the study (only lesion VOIs on scans of `study.tracer.name` are used)
 * @returns rows in VOI order, the correction fit (or its failure reason) and the excluded patients
 * @throws InputError for invalid settings (via planSettings)
 */
export function tumourData(study: StudyData): TumourData {
  const hit = cache.get(study);
  if (hit) return hit;
  const settings = planSettings(study.settings);
  const patients = new Map(study.patients.map((p) => [p.patientId, p]));
  const scans = new Map(study.scans.map((s) => [s.scanId, s]));
  const uptake = scanUptakeDays(study);
  const rows: LesionRow[] = [];
  for (const v of study.vois) {
    if (v.kind !== 'lesion' || v.tracer !== study.tracer.name) continue;
    if (!scanEligible(uptake, v.scanId, settings.uptakeDays)) continue;
    const p = patients.get(v.patientId);
    if (!p) continue;
    const suvPeak = settings.suvPeak === 'global' ? v.suvPeakGlobal : v.suvPeakLocal;
    rows.push({
      patientId: v.patientId,
      lesionId: v.lesionId ?? v.voiId,
      scanId: v.scanId,
      timepoint: v.timepoint,
      day: scans.get(v.scanId)?.day ?? null,
      cohort: p.cohort,
      histology: p.histology,
      ebvPositive: isEbvPositiveHistology(p.histology),
      bridging: p.bridging,
      site: v.site ?? 'unknown',
      irradiated: v.irradiated,
      volumeMl: v.volumeMl,
      suvPeak,
      suvMax: v.suvMax,
      suvPeakCorrected: suvPeak,
      inPvcFit: false,
    });
  }
  const excludedPatients = settings.excludeEbvPositive
    ? study.patients.filter((p) => isEbvPositiveHistology(p.histology)).map((p) => p.patientId)
    : [];
  const excluded = new Set(excludedPatients);
  let pvc: PvcFit | null = null;
  let pvcError: string | null = null;
  if (settings.pvc.enabled) {
    const mask = rows.map(
      (r) => r.timepoint === 'pre' && r.irradiated !== true && !excluded.has(r.patientId),
    );
    try {
      pvc = pvcFit(
        rows.map((r) => r.suvPeak),
        rows.map((r) => r.volumeMl),
        {
          method: settings.pvc.method,
          scale: settings.pvc.scale,
          referenceMl: settings.pvc.referenceMl,
          nk: settings.pvc.knots,
          knotsFrom: mask,
          group: rows.map((r) => r.patientId),
          lmmFitter: pvcLmmFitter,
        },
      );
      rows.forEach((r, i) => {
        r.suvPeakCorrected = pvc!.corrected[i]!;
        r.inPvcFit = mask[i]!;
      });
    } catch (e) {
      pvc = null;
      pvcError = `partial-volume correction could not be fitted: ${(e as Error).message}`;
    }
  }
  const out: TumourData = { settings, rows, pvc, pvcError, excludedPatients };
  cache.set(study, out);
  return out;
}

/** Rows of the primary tumour analyses: EBV+ patients removed when the settings say so. */
export function primaryRows(td: TumourData): LesionRow[] {
  const ex = new Set(td.excludedPatients);
  return td.rows.filter((r) => !ex.has(r.patientId));
}

/** Number of distinct patients among rows. */
export function countPatients(rows: readonly { patientId: string }[]): number {
  return new Set(rows.map((r) => r.patientId)).size;
}
