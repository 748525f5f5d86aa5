/**
 * Healthy-tissue sphere VOIs (docs/study-bundle.md, vois.csv): a sphere given by its centre in DICOM
 * patient coordinates (LPS, mm) and its radius (mm) instead of a mask file, e.g. the 3 cm liver
 * reference sphere of PERCIST 1.0 (Wahl RL et al., J Nucl Med 2009;50:122S) and the EANM FDG PET/CT
 * guideline 2.0 (Boellaard R et al., Eur J Nucl Med Mol Imaging 2015;42:328). The sphere is rasterised
 * on each scan's grid at quantification (src/imaging/sphere.ts `sphereMaskOnGrid`).
 *
 * A VOI's definition travels as its `maskPath` (the one home): for a sphere VOI it is the reference
 * `sphere:center_lps_mm=x;y;z;radius_mm=r`, which the store keeps in `voi.mask_path` and scan jobs carry
 * unchanged; `voiSphere` reads it back.
 */
import type { Vec3 } from '../imaging/volume.js';
import type { Voi } from './model.js';
import { decimalOrNull, type RowReader } from './row-reader.js';

/** A sphere VOI: centre in DICOM LPS (mm) and radius (mm, > 0). */
export interface VoiSphere {
  centerLps: Vec3;
  radiusMm: number;
}

/** vois.csv column of the sphere centre: `x;y;z` in DICOM LPS mm. */
export const SPHERE_CENTER_COLUMN = 'sphere_center_lps_mm';
/** vois.csv column of the sphere radius (mm). */
export const SPHERE_RADIUS_COLUMN = 'sphere_radius_mm';

const PREFIX = 'sphere:';
const REF_RE = /^sphere:center_lps_mm=([^;]+);([^;]+);([^;]+);radius_mm=([^;]+)$/;

/** The `maskPath` reference of a sphere VOI (numbers written so that they read back exactly). */
export function sphereRef(s: VoiSphere): string {
  return `${PREFIX}center_lps_mm=${s.centerLps.join(';')};radius_mm=${s.radiusMm}`;
}

/** True when a VOI's `maskPath` is a sphere reference rather than a file. */
export function isSphereRef(maskPath: string): boolean {
  return maskPath.startsWith(PREFIX);
}

/**
 * The sphere of a VOI whose `maskPath` is a sphere reference (`sphereRef`), else null.
 * @throws Error for a `sphere:` reference that does not parse (only written by `sphereRef`)
 */
export function voiSphere(v: Pick<Voi, 'maskPath'>): VoiSphere | null {
  if (!isSphereRef(v.maskPath)) return null;
  const m = REF_RE.exec(v.maskPath);
  const n = m ? m.slice(1).map((x) => decimalOrNull(x)) : [];
  if (n.length !== 4 || n.some((x) => x === null)) throw new Error(`malformed sphere VOI ${v.maskPath}`);
  return { centerLps: [n[0]!, n[1]!, n[2]!], radiusMm: n[3]! };
}

/**
 * The sphere columns of one vois.csv row, or null when the row gives neither (a mask-file VOI).
 * @throws InputError naming vois.csv, the row, the field and the value: only one of the two columns
 *   given, a centre without exactly three `;`-separated coordinates or with a non-numeric one, a radius
 *   that is not a number or ≤ 0, or a sphere row that also names `mask_path`, `mask_label` or `roi_name`
 */
export function readVoiSphere(r: RowReader): VoiSphere | null {
  if (!r.has(SPHERE_CENTER_COLUMN) && !r.has(SPHERE_RADIUS_COLUMN)) return null;
  if (!r.has(SPHERE_CENTER_COLUMN))
    r.fail(
      SPHERE_CENTER_COLUMN,
      'a sphere VOI needs its centre x;y;z (DICOM LPS, mm) beside sphere_radius_mm',
    );
  const raw = r.raw(SPHERE_CENTER_COLUMN);
  const parts = raw.split(';').map((p) => p.trim());
  if (parts.length !== 3)
    r.fail(SPHERE_CENTER_COLUMN, `needs three coordinates x;y;z (DICOM LPS, mm), got ${parts.length}`, raw);
  const xyz = parts.map((p) => decimalOrNull(p));
  const bad = xyz.findIndex((x) => x === null);
  if (bad >= 0) r.fail(SPHERE_CENTER_COLUMN, `coordinate ${'xyz'[bad]} is not a number`, raw);
  const radiusMm = r.number(SPHERE_RADIUS_COLUMN, true);
  if (!(radiusMm > 0))
    r.fail(SPHERE_RADIUS_COLUMN, 'the sphere radius must be > 0 mm', r.raw(SPHERE_RADIUS_COLUMN));
  for (const c of ['mask_path', 'mask_label', 'roi_name'])
    if (r.has(c))
      r.fail(c, 'a sphere VOI has no mask: leave mask_path, mask_label and roi_name empty', r.raw(c));
  return { centerLps: [xyz[0]!, xyz[1]!, xyz[2]!], radiusMm };
}
