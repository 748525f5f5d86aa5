/**
 * Reads a PET DICOM series and converts it to SUV: `readDicomSeries` (geometry + rescaled values)
 * then `petSuvFactors` (typed headers, pet-header.ts; rules in src/imaging/suv.ts) per instance, applied slice by slice.
 */
import type { Volume } from '../../imaging/volume.js';
import type { ReferenceTimeRule, SuvConversion, SuvOptions, SuvType } from '../../imaging/suv.js';
import { InputError } from '../../errors.js';
import { numValue } from './values.js';
import { petSuvFactors } from './pet-header.js';
import { readDicomSeriesFrames } from './series.js';
import type { PetFrame, PetSeriesFrames, ReadSeriesOptions } from './series.js';

/** A PET series in SUV. */
export interface PetSuv {
  /** SUV of the requested type (g/mL; cm²/mL for bsa), float32, on the series grid. */
  volume: Volume<Float32Array>;
  /** Scale factor of each slice k (multiplies the rescaled stored value); [] for averaged frames. */
  factors: number[];
  /** Factors per time frame and slice, when frames were averaged. */
  frameFactors?: number[][];
  meta: {
    units: string;
    conversion: SuvConversion;
    decayCorrection: string;
    referenceTime: string | null;
    referenceTimeRule: ReferenceTimeRule;
    suvType: SuvType;
    halfLifeS: number | null;
    seriesInstanceUid: string;
    frameOfReferenceUid: string | null;
    manufacturer: string | null;
    weightKg: number | null;
    doseBq: number | null;
    injectionTime: string | null;
    overrides: string[];
    warnings: string[];
    /** Time frames in the series, and the frame returned (1-based) or 'average'. */
    frameCount: number;
    frame: number | 'average';
  };
}

/** The unit string of an SUV volume of a given type. */
export function suvUnit(suvType: SuvType): string {
  return suvType === 'bsa' ? 'SUVbsa cm2/mL' : `SUV${suvType === 'bw' ? 'bw' : suvType} g/mL`;
}

/** Options of `loadPetSuv`. */
export type LoadPetSuvOptions = SuvOptions & {
  /** Reader options (series choice, spacing tolerance). */
  series?: ReadSeriesOptions;
  /**
   * Dynamic series: a 1-based time frame, or 'average' for the frame-duration-weighted mean SUV
   * over all frames (each frame converted with its own factors first). Required for dynamic series.
   */
  frame?: number | 'average';
};

/** Multiplies each slice k of `v` in place by factors[k]. */
function scaleSlices(v: Volume<Float32Array>, factors: number[]): void {
  const sliceLen = v.size[0] * v.size[1];
  const data = v.data;
  for (let k = 0; k < v.size[2]; k++) {
    const f = factors[k]!;
    const off = k * sliceLen;
    for (let n = off; n < off + sliceLen; n++) data[n] = data[n]! * f;
  }
}

/**
 * Reads a PET DICOM series folder and returns its SUV volume.
 * @param dir series folder (one series; see `readDicomSeries`)
 * @param opts SUV type (default bw) and explicit overrides: weightKg (kg), doseBq (net injected Bq),
 *   injectionDateTime (scanner-clock ISO or DICOM DT), heightM (m); `series` options of the reader;
 *   `frame` for dynamic series (a 1-based frame or 'average', weighted by ActualFrameDuration)
 * @returns the SUV volume, per-slice factors (of the returned frame; for 'average' the factors of
 *   every frame in `frameFactors`) and the facts used (meta of the first frame)
 * @throws InputError from the reader (file, tag) or the SUV rules (tag), see `computeSuvFactors` (src/imaging/suv.ts).
 */
export async function loadPetSuv(dir: string, opts: LoadPetSuvOptions = {}): Promise<PetSuv> {
  return petSuvOfFrames(await readDicomSeriesFrames(dir, opts.series ?? {}), dir, opts);
}

/**
 * The SUV of a series already read and assembled (`readDicomSeriesFrames`, or `assembleFrames` of
 * instances fetched from a PACS, src/io/dicomweb.ts): the second half of `loadPetSuv`.
 * @param all every time frame of the series (its volumes are scaled in place)
 * @param source the folder or series URL, named in errors
 * @param opts as `loadPetSuv` (`series` is not used here)
 * @throws InputError as `loadPetSuv`
 */
export function petSuvOfFrames(all: PetSeriesFrames, source: string, opts: LoadPetSuvOptions = {}): PetSuv {
  const { series: _series, frame, ...suvOpts } = opts;
  const n = all.frames.length;
  let chosen: PetFrame[];
  if (frame === 'average') chosen = all.frames;
  else if (frame !== undefined) {
    if (!Number.isInteger(frame) || frame < 1 || frame > n) {
      throw new InputError(`frame must be an integer from 1 to ${n}`, {
        file: source,
        field: 'frame',
        value: frame,
      });
    }
    chosen = [all.frames[frame - 1]!];
  } else if (n > 1) {
    throw new InputError(`dynamic series with ${n} time frames: choose a frame (1…${n}) or 'average'`, {
      file: source,
      field: 'frame',
    });
  } else chosen = all.frames;

  const results = chosen.map((fr) => {
    const res = petSuvFactors(
      fr.instances.map((i) => i.header),
      suvOpts,
      fr.instances.map((i) => ({ file: i.file })),
    );
    const factors = res.factors.map((f) => f.scaleFactor);
    scaleSlices(fr.volume, factors); // in place: the rescaled volume is not returned
    return { res, factors };
  });
  let volume = chosen[0]!.volume;
  if (chosen.length > 1) {
    const weights = chosen.map((fr) => {
      const inst = fr.instances[0]!;
      const d = numValue(inst.header, 'ActualFrameDuration', { file: inst.file });
      if (d === undefined || !(d > 0)) {
        throw new InputError('averaging frames needs ActualFrameDuration of every frame', {
          file: inst.file,
          field: 'ActualFrameDuration (0018,1242)',
        });
      }
      return d;
    });
    const total = weights.reduce((a, b) => a + b, 0);
    const out = new Float32Array(volume.data.length);
    chosen.forEach((fr, f) => {
      const w = weights[f]! / total;
      const d = fr.volume.data;
      for (let i = 0; i < out.length; i++) out[i] = out[i]! + w * d[i]!;
    });
    volume = { ...volume, data: out };
  }
  const m = results[0]!.res.meta;
  return {
    volume: { ...volume, unit: suvUnit(m.suvType) },
    factors: results.length === 1 ? results[0]!.factors : [],
    ...(results.length > 1 ? { frameFactors: results.map((r) => r.factors) } : {}),
    meta: {
      units: m.units,
      conversion: m.conversion,
      decayCorrection: m.decayCorrection,
      referenceTime: m.referenceTime,
      referenceTimeRule: m.referenceTimeRule,
      suvType: m.suvType,
      halfLifeS: m.halfLifeS,
      seriesInstanceUid: all.seriesInstanceUid,
      frameOfReferenceUid: all.frameOfReferenceUid ?? null,
      manufacturer: m.manufacturer,
      weightKg: m.weightKg,
      doseBq: m.doseBq,
      injectionTime: m.injectionTime,
      overrides: m.overrides,
      warnings: m.warnings,
      frameCount: n,
      frame: frame ?? 1,
    },
  };
}
