/**
 * web/src/viewer/nv-calminmax.ts against niivue itself (its NVImage runs in Node): for each image, the
 * display range niivue's own `calMinMax` gives and the one `trustedCalMinMax` gives (what the viewer's
 * NVImages get through `quickCalMinMax`) are the same numbers, with the same effects on the image; the
 * cases it does not compute exactly are left to niivue.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { NVImage, cmapper } from '@niivue/niivue';
import { innerBoxRange, quickCalMinMax, trustedCalMinMax } from '../../web/src/viewer/nv-calminmax.js';
import { uniforms } from '../helpers/uniforms.js';

/** NIfTI datatype codes and their voxel arrays. */
const TYPES = {
  2: Uint8Array,
  4: Int16Array,
  512: Uint16Array,
  16: Float32Array,
} as const;
type Code = keyof typeof TYPES;

/**
 * A NIfTI-1 file of `dims` ([x, y, z, frames]) voxels of type `code` from `voxel(q)`, with scl_slope
 * `slope`, scl_inter `inter`.
 */
function nifti(dims: number[], code: Code, voxel: (q: number) => number, slope = 1, inter = 0): ArrayBuffer {
  const n = dims.reduce((a, b) => a * b, 1);
  const Arr = TYPES[code];
  const buf = new ArrayBuffer(352 + n * Arr.BYTES_PER_ELEMENT);
  const v = new DataView(buf);
  v.setInt32(0, 348, true);
  [dims[3]! > 1 ? 4 : 3, ...dims, 1, 1, 1].forEach((d, i) => v.setInt16(40 + 2 * i, d, true));
  v.setInt16(70, code, true);
  v.setInt16(72, 8 * Arr.BYTES_PER_ELEMENT, true);
  [1, 2, 2, 3, 1, 1, 1, 1].forEach((d, i) => v.setFloat32(76 + 4 * i, d, true));
  v.setFloat32(108, 352, true);
  v.setFloat32(112, slope, true);
  v.setFloat32(116, inter, true);
  v.setInt16(254, 1, true);
  [2, 0, 0, 0, 0, 2, 0, 0, 0, 0, 3, 0].forEach((x, i) => v.setFloat32(280 + 4 * i, x, true));
  new Uint8Array(buf, 344, 4).set([0x6e, 0x2b, 0x31, 0]);
  const data = new Arr(buf, 352, n);
  for (let q = 0; q < n; q++) data[q] = voxel(q);
  return buf;
}

/** What calMinMax sets on an image. */
const rangeOf = (im: NVImage) => ({
  cal: [im.cal_min, im.cal_max],
  robust: [im.robust_min, im.robust_max],
  global: [im.global_min, im.global_max],
  slope: im.hdr!.scl_slope,
});

/**
 * The image parsed by niivue (with its own calMinMax) and the range `trustedCalMinMax` computes on a
 * second parse of the same bytes whose range is first set apart (NaN), each with its return value.
 */
async function both(
  bytes: ArrayBuffer,
  opts: {
    cal_min?: number;
    cal_max?: number;
    colormap?: string;
    trustCalMinMax?: boolean;
    ignoreZeroVoxels?: boolean;
  },
) {
  const load = () => NVImage.loadFromUrl({ url: bytes.slice(0), name: 't.nii', colormap: 'gray', ...opts });
  const own = await load();
  const ownReturn = own.calMinMax(); // niivue's own, again: what the constructor's call returned
  const quick = await load();
  Object.assign(quick, { cal_min: NaN, cal_max: NaN, robust_min: NaN, robust_max: NaN, global_min: NaN });
  quick.global_max = NaN;
  const quickReturn = trustedCalMinMax(quick, cmapper);
  return { own, ownReturn, quick, quickReturn };
}

describe("the viewer's quick calMinMax (niivue's trusted header range)", () => {
  const u = uniforms(7);
  // sizes whose inner box is not a half (odd, small, 1 voxel thick), 8- and 16-bit, with slope and inter
  const cases: {
    name: string;
    dims: number[];
    code: Code;
    voxel: (q: number) => number;
    slope?: number;
    inter?: number;
  }[] = [
    { name: 'uint8 37×29×23', dims: [37, 29, 23, 1], code: 2, voxel: () => Math.floor(256 * u()) },
    {
      name: 'uint8 200×200×40, zeros outside a body',
      dims: [200, 200, 40, 1],
      code: 2,
      voxel: (q) => (q % 200 < 30 ? 0 : 1 + Math.floor(250 * u())),
    },
    { name: 'uint8 5×3×1', dims: [5, 3, 1, 1], code: 2, voxel: (q) => 10 + q },
    {
      name: 'int16 with slope 0.5 and inter −3',
      dims: [17, 19, 11, 1],
      code: 4,
      voxel: () => Math.floor(60000 * u()) - 30000,
      slope: 0.5,
      inter: -3,
    },
    { name: 'uint16, all one value', dims: [9, 9, 9, 1], code: 512, voxel: () => 42 },
    { name: 'uint8, all zero', dims: [8, 8, 8, 1], code: 2, voxel: () => 0 },
  ];
  for (const c of cases)
    for (const ignoreZeroVoxels of [false, true])
      test(`${c.name}${ignoreZeroVoxels ? ', zeros ignored' : ''}: the same range as niivue's`, async () => {
        const bytes = nifti(c.dims, c.code, c.voxel, c.slope ?? 1, c.inter ?? 0);
        const r = await both(bytes, { cal_min: 0, cal_max: 5, ignoreZeroVoxels });
        assert.notEqual(r.quickReturn, null, 'computed quickly');
        assert.deepEqual(r.quickReturn, r.ownReturn);
        assert.deepEqual(rangeOf(r.quick), rangeOf(r.own));
      });

  test('the inner box is the middle half along each axis (floor(dim/4) voxels off each side)', () => {
    // 8×4×5: x 2..5, y 1..2, z 1..3; the extremes placed just inside and just outside that box
    const dims: [number, number, number] = [8, 4, 5];
    const img = new Int16Array(8 * 4 * 5).fill(50);
    const at = (x: number, y: number, z: number) => x + 8 * (y + 4 * z);
    img[at(2, 1, 1)] = -7; // inside (first corner)
    img[at(5, 2, 3)] = 900; // inside (last corner)
    img[at(1, 1, 1)] = -100; // outside along x
    img[at(6, 2, 3)] = 1000; // outside along x
    img[at(3, 3, 2)] = 2000; // outside along y
    img[at(3, 2, 4)] = 3000; // outside along z
    assert.deepEqual(innerBoxRange(img, dims), [-7, 900]);
  });

  test('left to niivue: float voxels, no header range, 4D, not trusted', async () => {
    const f32 = nifti([6, 6, 6, 1], 16, () => u());
    const u8 = nifti([6, 6, 6, 1], 2, (q) => q % 256);
    const four = nifti([6, 6, 6, 2], 2, (q) => q % 256);
    for (const [bytes, opts] of [
      [f32, { cal_min: 0, cal_max: 5 }],
      [u8, {}],
      [u8, { cal_min: 5, cal_max: 5 }],
      [u8, { cal_min: 0, cal_max: 5, trustCalMinMax: false }],
      [four, { cal_min: 0, cal_max: 5 }],
    ] as const) {
      const r = await both(bytes, opts);
      assert.equal(r.quickReturn, null, JSON.stringify(opts));
    }
  });

  test("quickCalMinMax: niivue's NVImage then builds with the same range, and other calls go to niivue", async () => {
    const bytes = nifti([37, 29, 23, 1], 2, () => Math.floor(256 * u()));
    const own = await NVImage.loadFromUrl({ url: bytes.slice(0), name: 't.nii', cal_min: 0, cal_max: 10 });
    // eslint-disable-next-line @typescript-eslint/unbound-method -- put back as it was
    const ownProto = NVImage.prototype.calMinMax;
    try {
      quickCalMinMax(NVImage, cmapper);
      quickCalMinMax(NVImage, cmapper); // once per class
      const quick = await NVImage.loadFromUrl({
        url: bytes.slice(0),
        name: 't.nii',
        cal_min: 0,
        cal_max: 10,
      });
      assert.deepEqual(rangeOf(quick), rangeOf(own));
      // with arguments (a frame, no border): niivue's own
      assert.deepEqual(quick.calMinMax(0, false), own.calMinMax(0, false));
    } finally {
      NVImage.prototype.calMinMax = ownProto;
    }
  });
});
