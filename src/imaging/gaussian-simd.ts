/**
 * Driver of the WebAssembly SIMD kernels of the separable Gaussian filter (src/imaging/gaussian-simd.wat,
 * assembled into gaussian-simd-wasm.ts by scripts/build-wasm.mjs). Used by `gaussianFilter`
 * (src/imaging/filter.ts) on every thread; the results are bit-identical to filter.ts's scalar code (same
 * float64 operations in the same order; test/imaging/gaussian-simd.test.ts compares the two).
 *
 * Each thread instantiates the module once (module-level, so once per worker) and works on tiles copied
 * into the module's own memory: a chunk of rows (pass along i) or one plane of lines (passes along j, k) is
 * copied in as float32, widened to float64 in place (exact), filtered into a float32 tile, and copied back.
 * Memory layout (bytes): [kernel: 8·(2r+1), 16-aligned] [float64 tile: 8·n] [float32 tile: 4·n], where the
 * float32 tile holds the copied-in values before widening and the outputs after.
 */
import { GAUSSIAN_SIMD_WASM_BASE64 } from './gaussian-simd-wasm.js';
import type { Vec3 } from './volume.js';

/** Voxel arrays a pass reads. */
type SimdInput = Float32Array | Float64Array | Int16Array | Uint8Array | Uint16Array | Int32Array;

interface SimdExports {
  memory: WebAssembly.Memory;
  widen(from: number, to: number, n: number): void;
  rows(src: number, dst: number, nx: number, nrows: number, kern: number, r: number, scale: number): void;
  plane(src: number, dst: number, nx: number, count: number, kern: number, r: number, scale: number): void;
}

let bytes: Uint8Array<ArrayBuffer> | undefined;
let instance: SimdExports | undefined;

function moduleBytes(): Uint8Array<ArrayBuffer> {
  bytes ??= new Uint8Array(Buffer.from(GAUSSIAN_SIMD_WASM_BASE64, 'base64'));
  return bytes;
}

/**
 * True when this engine validates the module (WebAssembly with fixed-width SIMD; Node ≥ 16.4 has it).
 * When it does, `gaussianFilter` uses the SIMD path and a failure to instantiate it is an error, not a
 * reason to fall back.
 */
export function wasmSimdAvailable(): boolean {
  return typeof WebAssembly === 'object' && WebAssembly.validate(moduleBytes());
}

/** This thread's instance (created on first use). @throws Error when the module cannot be instantiated. */
function simdInstance(): SimdExports {
  if (instance) return instance;
  try {
    const mod = new WebAssembly.Module(moduleBytes());
    instance = new WebAssembly.Instance(mod, {}).exports as unknown as SimdExports;
  } catch (e) {
    throw new Error(
      `gaussian filter: the WebAssembly SIMD kernel (src/imaging/gaussian-simd.wat) cannot be instantiated: ${e instanceof Error ? e.message : String(e)}`,
      { cause: e },
    );
  }
  return instance;
}

/**
 * One axis pass of the filter on this thread: the kernel written into the module's memory once, then
 * chunks of rows (`rows`, pass along i) or planes (`plane`, passes along j and k) filtered in place in
 * `out` (the float32 volume, x fastest).
 */
export class SimdAxisPass {
  private readonly w: SimdExports;
  private readonly r: number;
  private readonly kernAt = 0;
  private readonly f64At: number;
  private readonly f32At: number;
  private f32!: Float32Array;

  /**
   * @param kern the normalised kernel (2r + 1 weights, `gaussianKernel`).
   * @param scale 1 / (the kernel's sum in folded order) (`foldedScale` in filter.ts).
   * @param tileValues the largest tile this pass copies in (values).
   */
  constructor(
    kern: Float64Array,
    private readonly scale: number,
    tileValues: number,
  ) {
    this.w = simdInstance();
    this.r = (kern.length - 1) / 2;
    this.f64At = (8 * kern.length + 15) & ~15;
    this.f32At = this.f64At + 8 * tileValues;
    const need = this.f32At + 4 * tileValues;
    const mem = this.w.memory;
    if (need > mem.buffer.byteLength) mem.grow(Math.ceil((need - mem.buffer.byteLength) / 65536));
    new Float64Array(mem.buffer, this.kernAt, kern.length).set(kern);
    this.f32 = new Float32Array(mem.buffer, this.f32At, tileValues);
  }

  /**
   * Filters rows [row0, row1) of `nx` values along i, read from `from` (converted to float32 as
   * `Float32Array.set` converts; `out` itself for in place) and written to `out`.
   */
  rows(from: SimdInput, out: Float32Array, nx: number, row0: number, row1: number): void {
    const n = (row1 - row0) * nx;
    this.f32.set(from.subarray(row0 * nx, row1 * nx));
    this.w.widen(this.f32At, this.f64At, n);
    this.w.rows(this.f64At, this.f32At, nx, row1 - row0, this.kernAt, this.r, this.scale);
    out.set(this.f32.subarray(0, n), row0 * nx);
  }

  /**
   * Filters plane `plane` (slice k for ax 1, row j for ax 2) along j (ax 1) or k (ax 2), read from `from`
   * (as in `rows`) and written to `out`.
   */
  plane(from: SimdInput, out: Float32Array, size: Vec3, ax: 1 | 2, plane: number): void {
    const [nx, ny, nz] = size;
    const count = ax === 1 ? ny : nz;
    const f32 = this.f32;
    if (ax === 1) f32.set(from.subarray(nx * ny * plane, nx * ny * (plane + 1)));
    else
      for (let t = 0; t < count; t++)
        f32.set(from.subarray(nx * (plane + ny * t), nx * (plane + ny * t + 1)), t * nx);
    this.w.widen(this.f32At, this.f64At, count * nx);
    this.w.plane(this.f64At, this.f32At, nx, count, this.kernAt, this.r, this.scale);
    if (ax === 1) out.set(f32.subarray(0, nx * ny), nx * ny * plane);
    else for (let t = 0; t < count; t++) out.set(f32.subarray(t * nx, (t + 1) * nx), nx * (plane + ny * t));
  }
}
