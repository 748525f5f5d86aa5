/**
 * Fuzz run of the readers, kept as a test (issue 12): a seeded, bounded set of mutants of one real
 * DICOM PET slice, a small NIfTI label map (raw and gzip) and an FCS file — byte flips, truncations,
 * inserted/deleted bytes and header fields set to extreme values — goes through the readers. Each
 * read must either succeed or throw a CartoError (InputError, ComputationError): no TypeError,
 * RangeError or other uncaught error, and no read may take longer than `MAX_MS_PER_READ`.
 * Deterministic: the same seed gives the same mutants (a failure names the seed and mutant number).
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { CartoError } from '../../src/errors.js';
import { assembleSeries } from '../../src/io/dicom/series.js';
import { parseDicomBytes, parsePetImageBytes, storedPixels } from '../../src/io/dicom/parse.js';
import { encodeFcs } from '../../src/io/fcs/writer.js';
import { readFcs } from '../../src/io/fcs/reader.js';
import { readLabelMap } from '../../src/io/imaging-inputs.js';
import { encodeNifti } from '../../src/io/nifti.js';
import { readNrrd } from '../../src/io/nrrd.js';
import { Rng } from '../../src/stats/prng.js';
import { sharedData } from '../helpers/shared-data.js';

const SEED = 20261206;
const MUTANTS_PER_FORMAT = Number(process.env['CARTO_FUZZ_MUTANTS'] ?? 100);
/** A single read of a file of a few kB; generous for a loaded machine, far below a hang. */
const MAX_MS_PER_READ = 2000;

const tmp = mkdtempSync(join(tmpdir(), 'carto-fuzz-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** One mutation of `src` (a new array): flips, truncation, insert/delete, or a field overwrite. */
function mutate(src: Uint8Array, rng: Rng, hotEnd: number, fields: readonly [number, number][]): Uint8Array {
  const kind = rng.int(0, 5);
  // Most edits land in the header region (`hotEnd` bytes), where structure lives.
  const pos = (): number =>
    rng.bernoulli(0.75) ? rng.int(0, Math.min(hotEnd, src.length) - 1) : rng.int(0, src.length - 1);
  switch (kind) {
    case 0: {
      const out = src.slice();
      const n = rng.int(1, 8);
      for (let t = 0; t < n; t++) {
        const p = pos();
        out[p] = out[p]! ^ (1 << rng.int(0, 7));
      }
      return out;
    }
    case 1:
      return src.slice(0, rng.int(0, src.length - 1));
    case 2: {
      const p = pos();
      const ins = Uint8Array.from({ length: rng.int(1, 16) }, () => rng.int(0, 255));
      const out = new Uint8Array(src.length + ins.length);
      out.set(src.subarray(0, p));
      out.set(ins, p);
      out.set(src.subarray(p), p + ins.length);
      return out;
    }
    case 3: {
      const n = Math.min(src.length, rng.int(1, 16));
      const p = Math.min(pos(), src.length - n);
      const out = new Uint8Array(Math.max(0, src.length - n));
      out.set(src.subarray(0, p));
      out.set(src.subarray(Math.min(src.length, p + n)), p);
      return out;
    }
    case 4: {
      // A header field (offset, width) set to an extreme or random value.
      const out = src.slice();
      const [off, width] = fields[rng.int(0, fields.length - 1)]!;
      const dv = new DataView(out.buffer);
      const extremes = [0, -1, 1, 0x7fff, -0x8000, 0x7fffffff, -0x80000000, NaN, Infinity, -1e30, 1e30];
      const v = rng.bernoulli(0.5) ? extremes[rng.int(0, extremes.length - 1)]! : rng.between(-1e6, 1e6);
      if (off + width > out.length) return out;
      if (width === 2) dv.setInt16(off, Number.isFinite(v) ? v : 0x7fff, true);
      else if (width === 4 && rng.bernoulli(0.5)) dv.setFloat32(off, v, true);
      else dv.setInt32(off, Number.isFinite(v) ? v : -1, true);
      return out;
    }
    default: {
      const out = src.slice();
      const p = pos();
      out.fill(rng.bernoulli(0.5) ? 0xff : 0, p, Math.min(out.length, p + rng.int(1, 64)));
      return out;
    }
  }
}

/** Runs `read` on every mutant: success or CartoError only, each within the time bound. */
function fuzz(
  label: string,
  source: Uint8Array,
  hotEnd: number,
  fields: readonly [number, number][],
  read: (bytes: Uint8Array, n: number) => void,
): { ok: number; refused: number } {
  const rng = new Rng(SEED, `fuzz/${label}`);
  let ok = 0;
  let refused = 0;
  for (let n = 0; n < MUTANTS_PER_FORMAT; n++) {
    const bytes = mutate(source, rng, hotEnd, fields);
    const t0 = performance.now();
    try {
      read(bytes, n);
      ok++;
    } catch (e) {
      if (!(e instanceof CartoError)) {
        assert.fail(
          `${label} mutant ${n} (seed ${SEED}): uncaught ${(e as Error)?.name ?? typeof e}: ${(e as Error)?.message ?? String(e)}`,
        );
      }
      refused++;
    }
    const ms = performance.now() - t0;
    assert.ok(ms < MAX_MS_PER_READ, `${label} mutant ${n} (seed ${SEED}) took ${ms.toFixed(0)} ms`);
  }
  return { ok, refused };
}

test('fuzz: DICOM PET slice mutants → parse, pixels, series assembly', { timeout: 60_000 }, () => {
  const file = join(sharedData('imaging', 'ibsi-suv-dro', 'DRO_0_0'), 'PT', 'pet_dro_0_0_slice_001.dcm');
  const src = new Uint8Array(readFileSync(file));
  // Header fields: within the first 2 kB (group/element/VR/length words of the dataset).
  const fields: [number, number][] = [];
  for (let off = 132; off < Math.min(2048, src.length); off += 2) fields.push([off, off % 4 === 0 ? 4 : 2]);
  const r = fuzz('dicom', src, 2048, fields, (bytes, n) => {
    const name = `mutant-${n}.dcm`;
    const full = parseDicomBytes(bytes, name);
    if (full.pixelData) storedPixels(full);
    const fast = parsePetImageBytes(bytes, name);
    assembleSeries([fast], tmp);
  });
  // The mutations must both pass and break: a fuzz where everything fails only tests the first check.
  assert.ok(r.ok > 0 && r.refused > 0, `ok ${r.ok}, refused ${r.refused}`);
});

test('fuzz: NIfTI label map mutants (raw and gzip) → readLabelMap', { timeout: 60_000 }, () => {
  const data = new Uint8Array(8 * 8 * 8);
  for (let q = 0; q < data.length; q++) data[q] = q % 7 === 0 ? 2 : q % 5 === 0 ? 1 : 0;
  const src = encodeNifti({
    size: [8, 8, 8],
    spacingMm: [2, 2, 3],
    originLps: [-8, 4, 10],
    direction: [1, 0, 0, 0, 1, 0, 0, 0, 1],
    data,
    unit: 'label',
  });
  // dim[0..7], datatype, bitpix, pixdim[0..7], vox_offset, scl_slope, scl_inter, qform/sform codes,
  // quatern/qoffset, srow_x/y/z.
  const fields: [number, number][] = [];
  for (let off = 40; off < 56; off += 2) fields.push([off, 2]);
  fields.push([70, 2], [72, 2], [252, 2], [254, 2]);
  for (let off = 76; off < 120; off += 4) fields.push([off, 4]);
  for (let off = 256; off < 328; off += 4) fields.push([off, 4]);
  let k = 0;
  const r = fuzz('nifti', src, 352, fields, (bytes, n) => {
    // Every other mutant is stored gzip-compressed (the mutation then acts on the inflated header).
    const gz = n % 2 === 1;
    const f = join(tmp, `m${k++}.nii${gz ? '.gz' : ''}`);
    writeFileSync(f, gz ? gzipSync(bytes) : bytes);
    readLabelMap(f);
  });
  assert.ok(r.ok > 0 && r.refused > 0, `ok ${r.ok}, refused ${r.refused}`);
  // Mutants of the gzip stream itself (not of its content).
  const gzSrc = new Uint8Array(gzipSync(src));
  const r2 = fuzz('nifti-gz-stream', gzSrc, gzSrc.length, [[gzSrc.length - 4, 4]], (bytes) => {
    const f = join(tmp, `g${k++}.nii.gz`);
    writeFileSync(f, bytes);
    readLabelMap(f);
  });
  assert.ok(r2.refused > 0, `ok ${r2.ok}, refused ${r2.refused}`);
});

test('fuzz: NRRD header mutants → readNrrd', { timeout: 60_000 }, () => {
  const data = Uint8Array.from({ length: 4 * 4 * 4 }, (_, q) => q % 3);
  const src = new Uint8Array(
    Buffer.concat([
      Buffer.from(
        'NRRD0004\ntype: uchar\ndimension: 3\nspace: left-posterior-superior\nsizes: 4 4 4\n' +
          'space directions: (2,0,0) (0,2,0) (0,0,3)\nencoding: raw\nspace origin: (1,2,3)\n\n',
      ),
      data,
    ]),
  );
  let k = 0;
  const r = fuzz('nrrd', src, src.length - data.length, [[20, 2]], (bytes) => {
    const f = join(tmp, `n${k++}.nrrd`);
    writeFileSync(f, bytes);
    readNrrd(f, 'label');
  });
  assert.ok(r.ok > 0 && r.refused > 0, `ok ${r.ok}, refused ${r.refused}`);
});

test('fuzz: FCS file mutants → readFcs', { timeout: 60_000 }, () => {
  const events = 200;
  const col = (f: (i: number) => number) => Float64Array.from({ length: events }, (_, i) => f(i));
  const src = encodeFcs({
    parameters: [{ name: 'FSC-A' }, { name: 'SSC-A' }, { name: 'BV421-A', stain: 'CD3' }],
    columns: [col((i) => 1000 + i), col((i) => 500 + 3 * i), col((i) => (i * 37) % 4096)],
    keywords: { $CYT: 'fuzz' },
  });
  // HEADER offsets (ASCII, bytes 10..57) and the TEXT segment are where the structure lives.
  const textEnd = Number(new TextDecoder().decode(src.subarray(18, 26)).trim()) + 1;
  const fields: [number, number][] = [];
  for (let off = 10; off < 58; off += 2) fields.push([off, 2]);
  let k = 0;
  const r = fuzz('fcs', src, textEnd, fields, (bytes) => {
    const f = join(tmp, `f${k++}.fcs`);
    writeFileSync(f, bytes);
    readFcs(f);
  });
  assert.ok(r.ok > 0 && r.refused > 0, `ok ${r.ok}, refused ${r.refused}`);
});
