/**
 * The typed PET header model: turns one PET instance's header record (keyword → value; a DICOM
 * file, a series instance, an Enhanced PET frame or a header.json item) into the `PetSuvHeader`
 * that src/imaging/suv.ts computes SUV factors from, and the user's SUV options into the
 * computation's options. The one place where the SUV inputs are read from DICOM keywords and
 * private tags (PS3.3 C.8.9.1 PET Series, C.8.9.2 PET Isotope, C.8.9.4 PET Image; Philips
 * (7053,1000)/(7053,1009), Siemens (0071,1022), GE (0009,100D)).
 *
 * Every field is read eagerly with the accessors of values.ts; a malformed value is stored as the
 * InputError the accessor raised (file, field, value) and only thrown when the computation needs it
 * (`readField`, src/imaging/suv-input.ts): the SUV rules keep their order of refusals, and an
 * attribute they do not need never fails. Other errors than InputError propagate at once.
 */
import { InputError } from '../../errors.js';
import { computeSuvFactors } from '../../imaging/suv.js';
import type { SuvComputeOptions, SuvOptions, SuvResult } from '../../imaging/suv.js';
import type {
  HeaderField,
  HeaderSource,
  PetSuvHeader,
  RadiopharmaceuticalInfo,
  TimeText,
} from '../../imaging/suv-input.js';
import {
  numValue,
  parseDicomDate,
  parseDicomDateTime,
  parseDicomTime,
  parseFloatingDateTime,
  rawValue,
  seqItems,
  textValue,
  textValues,
} from './values.js';
import type { DicomHeaderRecord } from './values.js';

/** Runs a reader: its value, absent (undefined), or its InputError stored for later. */
function capture<T>(raw: unknown, get: () => T | undefined): HeaderField<T> {
  try {
    const value = get();
    return value === undefined ? { raw } : { raw, value };
  } catch (err) {
    if (err instanceof InputError) return { raw, error: err };
    throw err;
  }
}

const num = (h: DicomHeaderRecord, key: string, src: HeaderSource): HeaderField<number> =>
  capture(rawValue(h, key), () => numValue(h, key, src));
const text = (h: DicomHeaderRecord, key: string, src: HeaderSource): HeaderField<string> =>
  capture(rawValue(h, key), () => textValue(h, key, src));
const texts = (h: DicomHeaderRecord, key: string, src: HeaderSource): HeaderField<string[]> =>
  capture(rawValue(h, key), () => textValues(h, key, src));

/** A date/time attribute as text, its parse (named `field` in errors) kept apart. */
function timeText(
  h: DicomHeaderRecord,
  key: string,
  parse: (value: string, field: string, src: HeaderSource) => number,
  field: string,
  src: HeaderSource,
): HeaderField<TimeText> {
  return capture(rawValue(h, key), () => {
    const t = textValue(h, key, src);
    return t === undefined ? undefined : { text: t, ms: capture(t, () => parse(t, field, src)) };
  });
}

/** Date-time of an instance's acquisition start (AcquisitionDateTime, else date + AcquisitionTime). */
function acquisitionMs(h: DicomHeaderRecord, src: HeaderSource): number | undefined {
  const dt = textValue(h, 'AcquisitionDateTime', src);
  if (dt !== undefined) return parseDicomDateTime(dt, 'AcquisitionDateTime', src);
  const tm = textValue(h, 'AcquisitionTime', src);
  if (tm === undefined) return undefined;
  const da = textValue(h, 'AcquisitionDate', src) ?? textValue(h, 'SeriesDate', src);
  if (da === undefined) {
    throw new InputError('AcquisitionTime without AcquisitionDate or SeriesDate', {
      ...src,
      field: 'AcquisitionDate',
    });
  }
  return parseDicomDate(da, 'AcquisitionDate', src) + parseDicomTime(tm, 'AcquisitionTime', src);
}

/** SeriesDate (else AcquisitionDate) + SeriesTime; undefined without a time or a date. */
function seriesMs(h: DicomHeaderRecord, src: HeaderSource): number | undefined {
  const tm = textValue(h, 'SeriesTime', src);
  if (tm === undefined) return undefined;
  const da = textValue(h, 'SeriesDate', src) ?? textValue(h, 'AcquisitionDate', src);
  if (da === undefined) return undefined;
  return parseDicomDate(da, 'SeriesDate', src) + parseDicomTime(tm, 'SeriesTime', src);
}

/** A private DT attribute by 8-hex-digit tag, named `name (gggg,eeee)` in parse errors. */
function privateDateTime(
  h: DicomHeaderRecord,
  tag: string,
  name: string,
  src: HeaderSource,
): HeaderField<number> {
  const raw = rawValue(h, tag);
  return capture(raw, () => {
    if (raw === undefined || raw === null) return undefined;
    const t = textValue(h, tag, src);
    if (t === undefined) return undefined;
    return parseDicomDateTime(t, `${name} (${tag.slice(0, 4)},${tag.slice(4)})`, src);
  });
}

/** The first Radiopharmaceutical Information Sequence item, typed (its `raw` is the item). */
function radiopharmaceutical(h: DicomHeaderRecord, src: HeaderSource): HeaderField<RadiopharmaceuticalInfo> {
  const key = 'RadiopharmaceuticalInformationSequence';
  let items: DicomHeaderRecord[];
  try {
    items = seqItems(h, key, src);
  } catch (err) {
    if (err instanceof InputError) return { raw: rawValue(h, key), error: err };
    throw err;
  }
  const rp = items[0];
  if (rp === undefined) return { raw: undefined };
  return {
    raw: rp,
    value: {
      totalDose: num(rp, 'RadionuclideTotalDose', src),
      halfLifeS: num(rp, 'RadionuclideHalfLife', src),
      startDateTime: timeText(
        rp,
        'RadiopharmaceuticalStartDateTime',
        parseDicomDateTime,
        'RadiopharmaceuticalStartDateTime',
        src,
      ),
      startTime: timeText(
        rp,
        'RadiopharmaceuticalStartTime',
        parseDicomTime,
        'RadiopharmaceuticalStartTime',
        src,
      ),
      nuclideCodeValue: capture(rawValue(rp, 'RadionuclideCodeSequence'), () => {
        const code = seqItems(rp, 'RadionuclideCodeSequence', src)[0];
        return code ? textValue(code, 'CodeValue', src) : undefined;
      }),
    },
  };
}

/**
 * The typed SUV inputs of one PET instance.
 * @param h the instance's header record (keyword → value; private tags by 8 hex digits, any case)
 * @param source the file it came from, named in every stored error
 * @returns every field the SUV rules read (see `PetSuvHeader`); never throws for a malformed value
 *   (the InputError is stored in the field and thrown when the computation needs it)
 */
export function petSuvHeader(h: DicomHeaderRecord, source: HeaderSource = {}): PetSuvHeader {
  const src = source;
  return {
    source,
    sopInstanceUid: text(h, 'SOPInstanceUID', src),
    modality: text(h, 'Modality', src),
    manufacturer: text(h, 'Manufacturer', src),
    seriesType: texts(h, 'SeriesType', src),
    correctedImage: texts(h, 'CorrectedImage', src),
    units: text(h, 'Units', src),
    decayCorrection: text(h, 'DecayCorrection', src),
    suvType: text(h, 'SUVType', src),
    patientWeight: num(h, 'PatientWeight', src),
    patientSize: num(h, 'PatientSize', src),
    patientSex: text(h, 'PatientSex', src),
    seriesDate: text(h, 'SeriesDate', src),
    seriesTime: text(h, 'SeriesTime', src),
    seriesDateTime: capture(undefined, () => seriesMs(h, src)),
    acquisitionDateTime: capture(undefined, () => acquisitionMs(h, src)),
    decayCorrectionDateTime: timeText(
      h,
      'DecayCorrectionDateTime',
      parseDicomDateTime,
      'DecayCorrectionDateTime (0018,9701)',
      src,
    ),
    siemensDecayDateTime: privateDateTime(h, '00711022', 'Siemens Decay Correction DateTime', src),
    gePetScanDateTime: privateDateTime(h, '0009100D', 'GE PET scan datetime', src),
    rescaleIntercept: num(h, 'RescaleIntercept', src),
    philipsSuvScaleFactor: num(h, '70531000', src),
    philipsActivityScaleFactor: num(h, '70531009', src),
    actualFrameDurationMs: num(h, 'ActualFrameDuration', src),
    frameReferenceTimeMs: num(h, 'FrameReferenceTime', src),
    radiopharmaceutical: radiopharmaceutical(h, src),
  };
}

/**
 * The computation's options from the user's: the injection date-time override (local ISO
 * "YYYY-MM-DDTHH:MM:SS" on the scanner clock, or DICOM DT) parsed to floating ms; a malformed one is
 * stored and refused (field injectionDateTime) when the rules need the injection time.
 */
export function suvComputeOptions(opts: SuvOptions): SuvComputeOptions {
  const { injectionDateTime, ...rest } = opts;
  if (injectionDateTime === undefined) return rest;
  return {
    ...rest,
    injectionDateTime: capture(injectionDateTime, () =>
      parseFloatingDateTime(injectionDateTime, 'injectionDateTime'),
    ),
  };
}

/**
 * SUV scale factors of one series from its header records: `petSuvHeader` per instance, then
 * `computeSuvFactors` (src/imaging/suv.ts; rules and errors there).
 * @param headers one record per instance, in slice order
 * @param opts SUV type and explicit overrides (weight kg, dose Bq, injection date-time, height m)
 * @param sources per-instance files for error messages (same order as `headers`)
 * @throws InputError naming the file, field and value of the first problem the rules meet
 */
export function petSuvFactors(
  headers: readonly DicomHeaderRecord[],
  opts: SuvOptions = {},
  sources: readonly HeaderSource[] = [],
): SuvResult {
  return computeSuvFactors(
    headers.map((h, i) => petSuvHeader(h, sources[i] ?? {})),
    suvComputeOptions(opts),
  );
}
