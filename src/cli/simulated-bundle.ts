/**
 * `carto simulate` and `carto demo`: simulates a virtual trial (`src/sim/trial.ts` hands its records
 * over) and writes it as a study bundle v1 folder (docs/study-bundle.md) with the one bundle writer
 * (src/study/bundle-write.ts) for study.json and the tables, and the format writers of src/io for the
 * images and FCS files:
 * study.json, patients/events/scans/vois/toxicity/adverse_events/labs/biopsies CSVs, the raw lab assays (qpcr.csv,
 * cytokines.csv, cytotoxicity.csv; flow.csv with one FCS 3.1 file per sample under `flow/` and the
 * Gating-ML 2.0 file `flow/gating.xml`), one DICOM PET series per scan
 * (`images/<scan_id>/IM0001.dcm …`), NIfTI organ and lesion label maps per scan
 * (`masks/<scan_id>_organs.nii.gz`, `masks/<scan_id>_lesions.nii.gz`), with option `fdg` one FDG
 * SUV image per patient (`images/<patient>-fdg.nii.gz`, lesion mask only) and `truth.json` with every
 * true parameter. Deterministic: the same options give byte-identical files.
 */
import { writeLesionOutcomeTables } from '../study/lesion-outcomes-write.js';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeOutputFolder } from '../io/output-folder.js';
import type { Volume } from '../imaging/volume.js';
import { writeBundleTable, writeStudyJson, type BundleRow } from '../study/bundle-write.js';
import type { BundleTableKey } from '../study/bundle-tables.js';
import {
  ADVERSE_EVENT_FIELDS,
  BIOPSY_FIELDS,
  EVENT_FIELDS,
  LAB_FIELDS,
  NOT_INFUSED_FIELDS,
  PATIENT_FIELDS,
  SCAN_FIELDS,
  TOXICITY_FIELDS,
  VOI_FIELDS,
  toBundleRow,
  type RecordField,
} from '../study/record-fields.js';
import { writePetSeries } from '../io/dicom-write.js';
import { gzipSync } from 'fflate';
import { encodeNifti } from '../io/nifti.js';
import { encodeFcs } from '../io/fcs/writer.js';
import { FLOW_CHANNELS, FLOW_MODEL, type FlowSampleCounts } from '../sim/flow.js';
import { ORGANS, type Organ, type RenderedScan } from '../sim/phantom.js';
import { simulateTrial, type SimulateOptions, type SimulatedTrial, type TrialTruth } from '../sim/trial.js';

/** Options of `writeSimulatedBundle`. */
export interface WriteSimulatedBundleOptions extends SimulateOptions {
  /** Called after each scan's images are written (1-based count, total). */
  onProgress?: (done: number, total: number, scanId: string) => void;
}

/** Per-scan organ means added to the truth after rendering. */
export interface ScanImageTruth {
  /** Mean of the noise-free, PSF-blurred SUV image in each organ mask (expected measured SUVmean). */
  organSuvMeanExpected: Record<Organ, number>;
  /** Mean of the written (noisy) SUV image in each organ mask, before int16 quantisation. */
  organSuvMeanImage: Record<Organ, number>;
  /** Voxels per lesion mask label (lesion_id → count). */
  lesionVoxelCount: Record<string, number>;
}

/** truth.json content. */
export type BundleTruth = TrialTruth & {
  scanImages: Record<string, ScanImageTruth>;
  /** Per FCS file (path relative to the bundle): the realised event counts of the drawn classes. */
  flowCounts: Record<string, FlowSampleCounts>;
};

const rowsOf = <R>(list: readonly RecordField<R>[], records: readonly R[]): BundleRow[] =>
  records.map((r) => toBundleRow(list, r));

/** Organ means (noise-free and noisy) in the organ masks and voxel counts of the lesion masks of a scan. */
function imageTruth(trial: SimulatedTrial, scanId: string, img: RenderedScan): ScanImageTruth {
  const patientId = trial.scans.find((s) => s.scanId === scanId)!.patientId;
  const sums = ORGANS.map(() => [0, 0, 0]);
  const lesionCounts = new Map<number, number>();
  for (let n = 0; n < img.suv.data.length; n++) {
    const g = img.organLabels.data[n]!;
    if (g > 0) {
      const s = sums[g - 1]!;
      s[0]! += img.suvNoiseFree.data[n]!;
      s[1]! += img.suv.data[n]!;
      s[2]!++;
    }
    const l = img.lesionLabels.data[n]!;
    if (l > 0) lesionCounts.set(l, (lesionCounts.get(l) ?? 0) + 1);
  }
  const r6 = (v: number): number => Number(v.toPrecision(6));
  const lesionVoxelCount: Record<string, number> = {};
  for (const lt of trial.truth.lesions) {
    if (lt.patientId === patientId) lesionVoxelCount[lt.lesionId] = lesionCounts.get(lt.maskLabel) ?? 0;
  }
  const means = (k: number): Record<Organ, number> =>
    Object.fromEntries(ORGANS.map((g, i) => [g, r6(sums[i]![k]! / sums[i]![2]!)])) as Record<Organ, number>;
  return { organSuvMeanExpected: means(0), organSuvMeanImage: means(1), lesionVoxelCount };
}

/**
 * Simulates a virtual trial and writes it as a bundle folder, under the output-folder rule
 * (src/io/output-folder.ts): the folder is assembled beside `dir` and renamed into place. The
 * simulation runs here, in the command layer, so that src/io never calls the simulator.
 *
 * @param dir output folder: created when missing; an existing folder must be empty or an earlier
 *   Cartography bundle (marker `.cartography-output.json` of kind `bundle`), which is replaced.
 * @param opts simulation options (seed, patients, voxelMm, psfFwhmMm) and a progress callback.
 * @returns the truth (with per-scan image means) and the written file paths (relative to `dir`).
 * @throws InputError naming `--out` and the path when `dir` is refused (e.g. a non-empty folder that
 *   is not an earlier bundle); nothing is then written.
 */
export async function writeSimulatedBundle(
  dir: string,
  opts: WriteSimulatedBundleOptions = {},
): Promise<{ truth: BundleTruth; files: string[]; trial: SimulatedTrial }> {
  return writeOutputFolder(dir, { kind: 'bundle', option: '--out' }, (staging) =>
    writeBundleFiles(staging, opts),
  );
}

/** Writes the simulated bundle's files into the empty folder `out` (see `writeSimulatedBundle`). */
async function writeBundleFiles(
  out: string,
  opts: WriteSimulatedBundleOptions,
): Promise<{ truth: BundleTruth; files: string[]; trial: SimulatedTrial }> {
  mkdirSync(join(out, 'images'), { recursive: true });
  mkdirSync(join(out, 'masks'), { recursive: true });
  const { onProgress, ...simOpts } = opts;
  const trial = simulateTrial(simOpts);
  const files = [writeStudyJson(out, trial.study), ...writeTrialTables(out, trial)];
  const flowCounts = writeFlowFiles(out, trial, files);
  const scanImages = await writeScanImages(out, trial, files, onProgress);
  const truth: BundleTruth = { ...trial.truth, scanImages, flowCounts };
  writeFileSync(join(out, 'truth.json'), `${JSON.stringify(truth, null, 1)}\n`);
  files.push('truth.json');
  return { truth, files, trial };
}

/** The CSV tables of the virtual trial (src/study/bundle-tables.ts columns). Returns the files written. */
function writeTrialTables(out: string, trial: SimulatedTrial): string[] {
  const put = (key: BundleTableKey, rows: BundleRow[]): string => writeBundleTable(out, key, rows);
  return [
    put(
      'patients',
      // Infused patients (CONSORT columns empty), then those assessed but never infused: only their ID,
      // cohort and CONSORT columns (docs/study-bundle.md).
      [
        ...trial.patients.map((p) => toBundleRow(PATIENT_FIELDS, p)),
        ...trial.notInfused.map((p) => toBundleRow(NOT_INFUSED_FIELDS, p)),
      ],
    ),
    put('events', rowsOf(EVENT_FIELDS, trial.events)),
    put('scans', rowsOf(SCAN_FIELDS, trial.scans)),
    put('vois', rowsOf(VOI_FIELDS, trial.vois)),
    put('toxicity', rowsOf(TOXICITY_FIELDS, trial.toxicity)),
    put('adverseEvents', rowsOf(ADVERSE_EVENT_FIELDS, trial.adverseEvents)),
    put('labs', rowsOf(LAB_FIELDS, trial.labs)),
    put('biopsies', rowsOf(BIOPSY_FIELDS, trial.biopsies)),
    ...writeLesionOutcomeTables(out, trial.lesionOutcomes),
    ...writeTrialAssayTables(out, trial),
  ];
}

/** The raw lab-assay tables of the virtual trial (qpcr, cytokines, cytotoxicity, flow). */
function writeTrialAssayTables(out: string, trial: SimulatedTrial): string[] {
  const put = (key: BundleTableKey, rows: BundleRow[]): string => writeBundleTable(out, key, rows);
  return [
    put(
      'qpcr',
      trial.qpcrWells.map((w) => ({
        plate: w.plate,
        role: w.role,
        target: w.target,
        quantity: w.quantity,
        patient_id: w.patientId,
        day: w.day,
        ct: w.ct,
      })),
    ),
    put(
      'cytokines',
      trial.cytokineWells.map((w) => ({
        plate: w.plate,
        role: w.role,
        analyte: w.analyte,
        concentration: w.concentration,
        patient_id: w.patientId,
        day: w.day,
        dilution: w.dilution,
        signal: w.signal,
      })),
    ),
    put(
      'cytotoxicity',
      trial.cytotoxicityWells.map((w) => ({
        plate: w.plate,
        target: w.target,
        role: w.role,
        patient_id: w.patientId,
        day: w.day,
        effector_target_ratio: w.effectorTargetRatio,
        cpm: w.cpm,
      })),
    ),
    put(
      'flow',
      // `sample` is for FlowJo workspaces (empty with Gating-ML); one data set per file.
      trial.flowFiles.map((f) => ({
        patient_id: f.patientId,
        day: f.day,
        file: f.file,
        gating: f.gating,
        sample: null,
        data_set: 0,
      })),
    ),
  ];
}

/** The Gating-ML file and one FCS 3.1 file per flow sample; returns each file's true counts. */
function writeFlowFiles(
  out: string,
  trial: SimulatedTrial,
  files: string[],
): Record<string, FlowSampleCounts> {
  mkdirSync(join(out, 'flow'), { recursive: true });
  writeFileSync(join(out, 'flow/gating.xml'), trial.gatingMl);
  files.push('flow/gating.xml');
  const flowCounts: Record<string, FlowSampleCounts> = {};
  for (const f of trial.flowFiles) {
    const { columns, counts } = trial.renderFlow(f.file);
    writeFileSync(
      join(out, f.file),
      encodeFcs({
        parameters: FLOW_CHANNELS.map((c) => ({ name: c.name, stain: c.stain })),
        columns,
        spillover: FLOW_MODEL.spillover,
        fileName: f.file.slice(f.file.lastIndexOf('/') + 1),
        keywords: {
          $CYT: 'Cartography virtual cytometer',
          $SRC: f.day < 0 ? 'CAR T product' : 'peripheral blood',
          CARTO_PATIENT: f.patientId,
          CARTO_DAY: String(f.day),
        },
      }),
    );
    files.push(f.file);
    flowCounts[f.file] = counts;
  }
  return flowCounts;
}

// gzip without a timestamp (mtime 0), so the same seed gives byte-identical files.
const gzipNifti = (v: Parameters<typeof encodeNifti>[0], description: string, level: 1 | 6): Uint8Array =>
  gzipSync(encodeNifti(v, { description }), { level, mtime: 0 });

/**
 * The images of every scan: one DICOM PET series (Bq/mL) with organ and lesion label maps per CD8 scan,
 * and with option `fdg` one NIfTI SUV image with its lesion map. Returns each scan's image truth.
 */
async function writeScanImages(
  out: string,
  trial: SimulatedTrial,
  files: string[],
  onProgress: WriteSimulatedBundleOptions['onProgress'],
): Promise<Record<string, ScanImageTruth>> {
  const scanImages: Record<string, ScanImageTruth> = {};
  const total = trial.acquisitions.length + trial.suvImageScans.length;
  let done = 0;
  const step = async (scanId: string, img: RenderedScan): Promise<void> => {
    scanImages[scanId] = imageTruth(trial, scanId, img);
    done++;
    onProgress?.(done, total, scanId);
    await new Promise<void>((r) => setImmediate(r));
  };
  for (const acq of trial.acquisitions) {
    const img = trial.render(acq.scanId);
    writeAcquisition(out, trial, acq, img, files);
    await step(acq.scanId, img);
  }
  // NIfTI SUV images (FDG before lymphodepletion, option `fdg`) with their lesion masks.
  for (const scanId of trial.suvImageScans) {
    const img = trial.render(scanId);
    writeFileSync(
      join(out, 'images', `${scanId}.nii.gz`),
      gzipNifti(img.suv, 'SUVbw g/mL (simulated FDG PET)', 1),
    );
    writeFileSync(
      join(out, 'masks', `${scanId}_lesions.nii.gz`),
      gzipNifti(img.lesionLabels, 'lesion labels (vois.csv lesion_id/mask_label)', 6),
    );
    files.push(`images/${scanId}.nii.gz`, `masks/${scanId}_lesions.nii.gz`);
    await step(scanId, img);
  }
  return scanImages;
}

/** One CD8 PET acquisition: its DICOM series in Bq/mL and its organ and lesion label maps. */
function writeAcquisition(
  out: string,
  trial: SimulatedTrial,
  acq: SimulatedTrial['acquisitions'][number],
  img: RenderedScan,
  files: string[],
): void {
  const tracer = trial.study.tracer;
  // Bq/mL = SUV × dose decayed to the series start (Bq) / body weight (g).
  const decayedBq =
    acq.injectedActivityBq * Math.pow(2, -(acq.seriesMs - acq.injectionMs) / 1000 / tracer.halfLifeS);
  const factor = decayedBq / (acq.weightKg * 1000);
  const bq = new Float32Array(img.suv.data.length);
  for (let n = 0; n < bq.length; n++) bq[n] = img.suv.data[n]! * factor;
  const seriesFiles = writePetSeries(
    join(out, 'images', acq.scanId),
    { ...img.suv, data: bq, unit: 'Bq/mL' },
    {
      patientPseudonym: acq.patientId,
      patientSex: acq.sex,
      patientAgeYears: acq.ageYears,
      patientWeightKg: acq.weightKg,
      uidKey: `cartography-virtual-trial/${trial.options.seed}/${acq.scanId}`,
      studyKey: `cartography-virtual-trial/${trial.options.seed}/${acq.patientId}`,
      seriesDescription: `CD8 PET ${acq.timepoint} (day ${acq.day})`,
      radiopharmaceutical: tracer.name,
      nuclide: tracer.nuclide,
      halfLifeS: tracer.halfLifeS,
      injectedDoseBq: acq.injectedActivityBq,
      injectionMs: acq.injectionMs,
      seriesMs: acq.seriesMs,
    },
  );
  for (const f of seriesFiles) files.push(f.slice(out.length + 1));
  const nii = (v: Volume<Uint8Array> | Volume<Uint16Array>, name: string, description: string): void =>
    writeFileSync(join(out, 'masks', name), gzipNifti(v, description, 6));
  nii(img.organLabels, `${acq.scanId}_organs.nii.gz`, 'organ labels (vois.csv label/mask_label)');
  nii(img.lesionLabels, `${acq.scanId}_lesions.nii.gz`, 'lesion labels (vois.csv lesion_id/mask_label)');
  files.push(`masks/${acq.scanId}_organs.nii.gz`, `masks/${acq.scanId}_lesions.nii.gz`);
}
