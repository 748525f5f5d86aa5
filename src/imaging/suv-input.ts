/**
 * The typed inputs of the SUV computation (`suv.ts`, `suv-activity.ts`): one `PetSuvHeader` per PET
 * instance, holding exactly the header values the SUV rules and their checks read, already typed
 * (numbers, upper-case-free trimmed text, parsed date-times in floating ms). src/imaging never sees
 * DICOM keywords or header records: src/io/dicom/pet-header.ts builds these from a header record
 * (a DICOM file, a series or a header.json), with the accessors of src/io/dicom/values.ts.
 *
 * Each value is a `HeaderField`: absent, a value, or the `InputError` the reader met (naming the
 * file, the DICOM field and the value). The error is stored, not thrown, when the header is built:
 * `readField` throws it when the computation needs that field, so a malformed attribute that the
 * SUV rules do not need for this series never fails, and the computation refuses the first problem
 * it meets in the same order as when it read the record itself (the IBSI/QIBA error cases).
 *
 * Floating timestamps: milliseconds since 1970-01-01T00:00 of the scanner's local clock (time-zone
 * offsets are ignored: all times of one study share a clock). No I/O.
 */
import type { InputError } from '../errors.js';

/** Where a header came from, for error messages. */
export interface HeaderSource {
  file?: string;
}

/**
 * One typed header value. `raw` is the value as found (undefined when absent; the first item of a
 * sequence), kept for error messages and the same-series agreement check. Either `value` (the typed
 * value), or `error` (the reader's refusal, thrown by `readField`), or neither (absent or empty).
 */
export interface HeaderField<T> {
  readonly raw: unknown;
  readonly value?: T;
  readonly error?: InputError;
}

/**
 * The typed value of a field, or undefined when absent.
 * @throws the stored InputError when the field was malformed
 */
export function readField<T>(f: HeaderField<T>): T | undefined {
  if (f.error !== undefined) throw f.error;
  return f.value;
}

/** A DICOM date/time as text, with its parse kept apart (read when the rules need the instant). */
export interface TimeText {
  text: string;
  /** Floating ms (TM: ms since midnight). */
  ms: HeaderField<number>;
}

/** First item of the Radiopharmaceutical Information Sequence (0054,0016), typed. */
export interface RadiopharmaceuticalInfo {
  /** RadionuclideTotalDose (0018,1074), as stored (Bq; values < 1e5 are MBq by the SUV rules). */
  totalDose: HeaderField<number>;
  /** RadionuclideHalfLife (0018,1075), s. */
  halfLifeS: HeaderField<number>;
  /** RadiopharmaceuticalStartDateTime (0018,1078), DT. */
  startDateTime: HeaderField<TimeText>;
  /** RadiopharmaceuticalStartTime (0018,1072), TM (ms since midnight). */
  startTime: HeaderField<TimeText>;
  /** CodeValue of the first RadionuclideCodeSequence (0054,0300) item. */
  nuclideCodeValue: HeaderField<string>;
}

/** The SUV-relevant values of one PET instance (trimmed text; case as stored). */
export interface PetSuvHeader {
  /** The instance's file, named in every error. */
  source: HeaderSource;
  sopInstanceUid: HeaderField<string>;
  modality: HeaderField<string>;
  manufacturer: HeaderField<string>;
  /** SeriesType (0054,1000), upper-cased values. */
  seriesType: HeaderField<string[]>;
  /** CorrectedImage (0028,0051), upper-cased values. */
  correctedImage: HeaderField<string[]>;
  /** Units (0054,1001). */
  units: HeaderField<string>;
  /** DecayCorrection (0054,1102). */
  decayCorrection: HeaderField<string>;
  /** SUVType (0054,1006). */
  suvType: HeaderField<string>;
  /** PatientWeight (0010,1030), as stored (kg; > 1000 read as g by the SUV rules). */
  patientWeight: HeaderField<number>;
  /** PatientSize (0010,1020), as stored (m; > 3 read as cm by the SUV rules). */
  patientSize: HeaderField<number>;
  /** PatientSex (0010,0040). */
  patientSex: HeaderField<string>;
  /** SeriesDate (0008,0021) and SeriesTime (0008,0031) as text (raw values for the agreement check). */
  seriesDate: HeaderField<string>;
  seriesTime: HeaderField<string>;
  /** SeriesDate (else AcquisitionDate) + SeriesTime; absent without a time or a date. */
  seriesDateTime: HeaderField<number>;
  /** AcquisitionDateTime, else (AcquisitionDate, else SeriesDate) + AcquisitionTime; absent without a time. */
  acquisitionDateTime: HeaderField<number>;
  /** DecayCorrectionDateTime (0018,9701), DT. */
  decayCorrectionDateTime: HeaderField<TimeText>;
  /** Siemens decay correction date-time (0071,1022), DT. */
  siemensDecayDateTime: HeaderField<number>;
  /** GE PET scan date-time (0009,100D), DT. */
  gePetScanDateTime: HeaderField<number>;
  /** RescaleIntercept (0028,1052). */
  rescaleIntercept: HeaderField<number>;
  /** Philips SUV scale factor (7053,1000). */
  philipsSuvScaleFactor: HeaderField<number>;
  /** Philips activity concentration scale factor (7053,1009). */
  philipsActivityScaleFactor: HeaderField<number>;
  /** ActualFrameDuration (0018,1242), ms. */
  actualFrameDurationMs: HeaderField<number>;
  /** FrameReferenceTime (0054,1300), ms. */
  frameReferenceTimeMs: HeaderField<number>;
  /** First Radiopharmaceutical Information Sequence item; `raw` is that item as stored. */
  radiopharmaceutical: HeaderField<RadiopharmaceuticalInfo>;
}

const MS_PER_DAY = 86_400_000;

/** Date part (midnight, ms) of a floating timestamp. */
export function dayOf(ms: number): number {
  return Math.floor(ms / MS_PER_DAY) * MS_PER_DAY;
}

/** Formats a floating timestamp as ISO-8601 without zone, e.g. "2025-01-01T11:00:00.000". */
export function formatFloating(ms: number): string {
  return new Date(ms).toISOString().replace('Z', '');
}
