/**
 * Reads a PET DICOM series and converts it to SUV: `readDicomSeries` (geometry + rescaled values)
 * then `computeSuvFactors` (src/imaging/suv.ts) per instance, applied slice by slice.
 */
import type { Volume } from '../../imaging/volume.js';
import { computeSuvFactors } from '../../imaging/suv.js';
import type { ReferenceTimeRule, SuvConversion, SuvOptions, SuvType } from '../../imaging/suv.js';
import { readDicomSeries } from './series.js';
import type { ReadSeriesOptions } from './series.js';

/** A PET series in SUV. */
export interface PetSuv {
  /** SUV of the requested type (g/mL; cm²/mL for bsa), float32, on the series grid. */
  volume: Volume<Float32Array>;
  /** Scale factor of each slice k (multiplies the rescaled stored value). */
  factors: number[];
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
  };
}

/** The unit string of an SUV volume of a given type. */
export function suvUnit(suvType: SuvType): string {
  return suvType === 'bsa' ? 'SUVbsa cm2/mL' : `SUV${suvType === 'bw' ? 'bw' : suvType} g/mL`;
}

/**
 * Reads a PET DICOM series folder and returns its SUV volume.
 * @param dir series folder (one series; see `readDicomSeries`)
 * @param opts SUV type (default bw) and explicit overrides: weightKg (kg), doseBq (net injected Bq),
 *   injectionDateTime (scanner-clock ISO or DICOM DT), heightM (m); `series` options of the reader
 * @returns the SUV volume, per-slice factors and the facts used
 * @throws InputError from the reader (file, tag) or the SUV rules (tag), see `computeSuvFactors`.
 */
export async function loadPetSuv(
  dir: string,
  opts: SuvOptions & { series?: ReadSeriesOptions } = {},
): Promise<PetSuv> {
  const series = await readDicomSeries(dir, opts.series ?? {});
  const { series: _s, ...suvOpts } = opts;
  const res = computeSuvFactors(
    series.instances.map((i) => i.header),
    suvOpts,
    series.instances.map((i) => ({ file: i.file })),
  );
  const factors = res.factors.map((f) => f.scaleFactor);
  const v = series.volume;
  const sliceLen = v.size[0] * v.size[1];
  const data = v.data; // converted in place: the rescaled volume is not returned
  for (let k = 0; k < v.size[2]; k++) {
    const f = factors[k]!;
    const off = k * sliceLen;
    for (let n = off; n < off + sliceLen; n++) data[n] = data[n]! * f;
  }
  const m = res.meta;
  return {
    volume: { ...v, data, unit: suvUnit(m.suvType) },
    factors,
    meta: {
      units: m.units,
      conversion: m.conversion,
      decayCorrection: m.decayCorrection,
      referenceTime: m.referenceTime,
      referenceTimeRule: m.referenceTimeRule,
      suvType: m.suvType,
      halfLifeS: m.halfLifeS,
      seriesInstanceUid: series.seriesInstanceUid,
      frameOfReferenceUid: series.frameOfReferenceUid ?? null,
      manufacturer: m.manufacturer,
      weightKg: m.weightKg,
      doseBq: m.doseBq,
      injectionTime: m.injectionTime,
      overrides: m.overrides,
      warnings: m.warnings,
    },
  };
}
