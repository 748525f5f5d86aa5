/**
 * niivue's `calMinMax` (an NVImage's display range: cal_min/cal_max, robust and global range), made
 * quick for the viewer's display volume. niivue runs it on every NVImage it builds: it copies the
 * volume's inner box (the middle half along each axis) voxel by voxel, visiting every voxel of the
 * volume, before it looks at a header range (0.1–0.16 s for a 200×200×400 display volume, on the page's
 * thread, between the display volume's arrival and its slices). When the image's own range is trusted
 * (niivue's `trustCalMinMax`, a finite header cal_min < cal_max, a colour map without a range of its
 * own) and its voxels are integers of one volume, niivue's result is that header range with the inner
 * box's minimum and maximum as the global range: `trustedCalMinMax` computes just that, reading the
 * inner box in place, and gives the same numbers (test/web/nv-calminmax.test.ts compares the two on
 * niivue's own NVImage). Every other case is niivue's own.
 * Source: niivue 0.69, src/nvimage/ImageCalculations (calMinMax), the `trustCalMinMax` branch.
 */
import type { NVImage, cmapper as niivueCmapper } from '@niivue/niivue';

/** What `calMinMax` returns: [cal_min, cal_max, global (or robust) min, global (or robust) max]. */
type Range4 = [number, number, number, number];

/** The integer voxel arrays whose range needs no NaN check. */
const INTEGER_ARRAYS = [Uint8Array, Int8Array, Uint16Array, Int16Array, Uint32Array, Int32Array];

/**
 * The minimum and maximum voxel of the inner box of a 3D volume of size `dims` ([x, y, z]): each axis
 * from floor(dim/4) to dim − floor(dim/4) (exclusive), as niivue's `calMinMax` takes it.
 */
export function innerBoxRange(
  img: ArrayLike<number>,
  dims: readonly [number, number, number],
): [number, number] {
  const [nx, ny, nz] = dims;
  const [bx, by, bz] = dims.map((d) => Math.floor(0.25 * d)) as [number, number, number];
  let mn = Number.POSITIVE_INFINITY;
  let mx = Number.NEGATIVE_INFINITY;
  for (let z = bz; z < nz - bz; z++)
    for (let y = by; y < ny - by; y++) {
      const row = nx * (y + ny * z);
      for (let x = row + bx, end = row + nx - bx; x < end; x++) {
        const v = img[x]!;
        if (v < mn) mn = v;
        if (v > mx) mx = v;
      }
    }
  return [mn, mx];
}

/**
 * The result of niivue's `calMinMax(image)` (default arguments) when it is the trusted header range of
 * an integer 3D image (see the module doc), with the same effects on `image` (cal, robust and global
 * range; a zero scl_slope made 1); null in every other case (then niivue's own is to run).
 */
export function trustedCalMinMax(image: NVImage, cmapper: typeof niivueCmapper): Range4 | null {
  const { hdr, img } = image;
  if (!hdr || !img || !image.trustCalMinMax) return null;
  const [, nx, ny, nz] = hdr.dims;
  if (!INTEGER_ARRAYS.some((A) => img instanceof A) || img.length !== nx! * ny! * nz!) return null;
  const { cal_min: lo, cal_max: hi } = hdr;
  if (!isFinite(lo) || !isFinite(hi) || !(hi > lo)) return null;
  const cmap = cmapper.colormapFromKey(image.colormap);
  if ((cmap.min ?? 0) !== (cmap.max ?? 0)) return null;
  const [mn, mx] = innerBoxRange(img, [nx!, ny!, nz!]);
  if (hdr.scl_slope === 0) hdr.scl_slope = 1;
  image.cal_min = lo;
  image.cal_max = hi;
  image.robust_min = lo;
  image.robust_max = hi;
  image.global_min = mn * hdr.scl_slope + hdr.scl_inter;
  image.global_max = mx * hdr.scl_slope + hdr.scl_inter;
  return [lo, hi, lo, hi];
}

/** NVImage classes whose `calMinMax` `quickCalMinMax` has made quick. */
const made = new WeakSet<object>();

/**
 * Makes niivue's `NVImage.prototype.calMinMax` take `trustedCalMinMax` when that applies (called with
 * niivue's default arguments), and run niivue's own otherwise. Once per class; later calls do nothing.
 */
export function quickCalMinMax(NVImageClass: typeof NVImage, cmapper: typeof niivueCmapper): void {
  if (made.has(NVImageClass)) return;
  made.add(NVImageClass);
  // eslint-disable-next-line @typescript-eslint/unbound-method -- called below with the image as `this`
  const own = NVImageClass.prototype.calMinMax;
  NVImageClass.prototype.calMinMax = function (this: NVImage, ...args: Parameters<NVImage['calMinMax']>) {
    const quick = args.length === 0 ? trustedCalMinMax(this, cmapper) : null;
    return quick ?? own.apply(this, args);
  };
}
