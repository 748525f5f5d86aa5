/**
 * Image files that are not what they claim, and resource limits (issue 12 items 5 and 6), at the
 * reader level: only regular files are read (devices, FIFOs, folders refused by name); a gzip that
 * inflates beyond what its header declares stops at that size; a declared size over the budget is
 * refused before any data are inflated; a NIfTI vox_offset inside the header or beyond the file is an
 * InputError (not a RangeError); a label map with fractional values after scaling is refused; a NRRD
 * `data file:` is confined to the header's folder (or the roots given), symbolic links included.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { InputError } from '../../src/errors.js';
import { gunzipBounded, readRegularFileSync, resolveUnderRoots } from '../../src/io/files.js';
import { readLabelMap } from '../../src/io/imaging-inputs.js';
import { encodeNifti, readNifti } from '../../src/io/nifti.js';
import { readNrrd } from '../../src/io/nrrd.js';
import type { Volume } from '../../src/imaging/volume.js';

const root = mkdtempSync(join(tmpdir(), 'carto-image-safety-'));
after(() => rmSync(root, { recursive: true, force: true }));
let serial = 0;
const path = (name: string): string => join(root, `${serial++}-${name}`);

function throwsInput(f: () => unknown, ...patterns: RegExp[]): InputError {
  let caught: unknown;
  try {
    f();
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof InputError, `expected InputError, got ${String(caught)}`);
  for (const re of patterns) assert.match(caught.message, re);
  return caught;
}

/** A 10×10×10 uint8 label map (a 4×4×4 cube of label 3) as NIfTI-1 bytes. */
function labelVolume(): Volume<Uint8Array> {
  const data = new Uint8Array(1000);
  for (let k = 3; k < 7; k++)
    for (let j = 3; j < 7; j++) for (let i = 3; i < 7; i++) data[i + 10 * (j + 10 * k)] = 3;
  return {
    size: [10, 10, 10],
    spacingMm: [2, 2, 2],
    originLps: [0, 0, 0],
    direction: [1, 0, 0, 0, 1, 0, 0, 0, 1],
    data,
    unit: 'label',
  };
}

/** NIfTI-1 bytes of the label map with header fields patched (float32 / int16 at byte offsets). */
function niftiBytes(patch: { f32?: [number, number][]; i16?: [number, number][] } = {}): Uint8Array {
  const b = encodeNifti(labelVolume());
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  for (const [off, v] of patch.f32 ?? []) dv.setFloat32(off, v, true);
  for (const [off, v] of patch.i16 ?? []) dv.setInt16(off, v, true);
  return b;
}

describe('only regular files, within a budget', () => {
  test('/dev/zero, a FIFO and a folder are refused by name, without reading', () => {
    throwsInput(() => readRegularFileSync('/dev/zero'), /\/dev\/zero/, /a device, not a regular file/);
    const fifo = path('pipe.nii');
    execFileSync('mkfifo', [fifo]);
    throwsInput(() => readNifti(fifo), /pipe\.nii/, /FIFO/);
    throwsInput(() => readRegularFileSync(root), /a folder, not a regular file/);
  });

  test('a symbolic link is followed to a regular file, but not to a device', () => {
    const real = path('mask.nii');
    writeFileSync(real, niftiBytes());
    const link = path('link.nii');
    symlinkSync(real, link);
    assert.equal(readNifti(link).volume.data.filter((x) => x === 3).length, 64);
    const bad = path('zero.nii.gz');
    symlinkSync('/dev/zero', bad);
    const e = throwsInput(() => readLabelMap(bad), /zero\.nii\.gz/, /device/);
    assert.equal(e.location.file, bad);
  });

  test('a file over the byte budget is refused before it is read', () => {
    const f = path('big.nii');
    writeFileSync(f, niftiBytes());
    const e = throwsInput(() => readNifti(f, { maxBytes: 500 }), /over the 500-byte budget/);
    assert.equal(e.location.value, 1352);
  });

  test('gunzipBounded stops a stream at the declared size', () => {
    const gz = gzipSync(Buffer.alloc(1 << 20));
    assert.equal(gunzipBounded(gz, 1 << 20, 'x.gz').length, 1 << 20);
    throwsInput(() => gunzipBounded(gz, 1000, 'x.gz'), /x\.gz/, /more than the 1000 bytes/);
  });

  test('resolveUnderRoots: inside is accepted, .. and absolute paths outside are refused', () => {
    const d = path('roots');
    mkdirSync(join(d, 'a'), { recursive: true });
    writeFileSync(join(d, 'a', 'x.raw'), 'x');
    assert.equal(
      resolveUnderRoots('x.raw', join(d, 'a'), [join(d, 'a')], { file: 'h', field: 'f' }),
      join(d, 'a', 'x.raw'),
    );
    throwsInput(
      () =>
        resolveUnderRoots('../../../../etc/passwd', join(d, 'a'), [join(d, 'a')], {
          file: 'h',
          field: 'data file',
        }),
      /leaves the allowed folders/,
    );
    throwsInput(
      () => resolveUnderRoots('/etc/passwd', join(d, 'a'), [join(d, 'a')], { file: 'h', field: 'data file' }),
      /leaves/,
    );
  });
});

describe('NIfTI: declared size, vox_offset, gzip bombs', () => {
  test('a 64 MiB gzip bomb behind a 10×10×10 header stops at the declared 1352 bytes', () => {
    const head = niftiBytes().subarray(0, 352);
    const bomb = Buffer.concat([head, Buffer.alloc(64 << 20)]);
    const f = path('bomb.nii.gz');
    writeFileSync(f, gzipSync(bomb, { level: 9 }));
    const e = throwsInput(
      () => readNifti(f),
      /bomb\.nii\.gz/,
      /inflate to more than the 1352 bytes the header declares/,
    );
    assert.equal(e.location.field, 'dim');
  });

  test('a declared grid over the budget is refused before the data are inflated', () => {
    // 30000³ int16 voxels (54 TB); the data after the header are corrupt, so inflating them would
    // fail with a gzip error: the budget error proves nothing was inflated first.
    const head = niftiBytes({
      i16: [
        [42, 30000],
        [44, 30000],
        [46, 30000],
        [70, 4],
        [72, 16],
      ],
    }).subarray(0, 352);
    const rnd = Buffer.alloc(1 << 20);
    for (let i = 0; i < rnd.length; i++) rnd[i] = (i * 2654435761) >>> 24;
    const gz = gzipSync(Buffer.concat([head, rnd]));
    gz.fill(0xff, gz.length - 8); // CRC and size trailer broken
    const f = path('huge.nii.gz');
    writeFileSync(f, gz);
    const e = throwsInput(() => readNifti(f), /30000×30000×30000/, /over the \d+-byte budget/);
    assert.equal(e.location.field, 'dim');
    // The same header with a small grid reaches the corrupt stream.
    const small = gzipSync(Buffer.concat([niftiBytes().subarray(0, 352), rnd.subarray(0, 1000)]));
    small.fill(0xff, small.length - 8);
    const g = path('small-corrupt.nii.gz');
    writeFileSync(g, small);
    throwsInput(() => readNifti(g), /corrupt gzip stream/);
  });

  test('negative vox_offset is an InputError naming vox_offset (was a RangeError)', () => {
    const f = path('negoff.nii');
    writeFileSync(f, niftiBytes({ f32: [[108, -1000]] }));
    const e = throwsInput(() => readNifti(f), /negoff\.nii/, /vox_offset must be a whole number ≥ 348/);
    assert.equal(e.location.field, 'vox_offset');
    assert.equal(e.location.value, -1000);
  });

  test('vox_offset beyond the end of the file is an InputError naming vox_offset', () => {
    const f = path('faroff.nii');
    writeFileSync(f, niftiBytes({ f32: [[108, 1e6]] }));
    const e = throwsInput(() => readNifti(f), /vox_offset lies beyond the data/);
    assert.equal(e.location.field, 'vox_offset');
    assert.equal(e.location.value, 1e6);
  });

  test('bitpix that does not match the datatype is refused naming bitpix', () => {
    const f = path('bitpix.nii');
    writeFileSync(f, niftiBytes({ i16: [[70, 16]] })); // float32 declared, bitpix 8 kept
    const e = throwsInput(() => readNifti(f), /bitpix does not match datatype 16/);
    assert.equal(e.location.field, 'bitpix');
  });

  test('a NaN origin (qoffset) is refused', () => {
    const f = path('nanorigin.nii');
    // sform_code 0 so the qform is used, with a NaN qoffset_x.
    writeFileSync(f, niftiBytes({ i16: [[254, 0]], f32: [[268, NaN]] }));
    const e = throwsInput(() => readNifti(f), /origin is not finite/);
    assert.equal(e.location.field, 'qoffset');
  });
});

describe('label maps must hold whole numbers after scaling', () => {
  test('scl_inter 1e-30 (background would become a VOI): refused naming the file and the scaling', () => {
    const f = path('inter.nii.gz');
    writeFileSync(
      f,
      gzipSync(
        niftiBytes({
          f32: [
            [112, 1],
            [116, 1e-30],
          ],
        }),
      ),
    );
    const e = throwsInput(
      () => readLabelMap(f),
      /inter\.nii\.gz/,
      /whole numbers after scaling/,
      /voxel \(0, 0, 0\)/,
    );
    assert.equal(e.location.field, 'scl_slope/scl_inter');
    assert.ok(Math.abs((e.location.value as number) - 1e-30) < 1e-36);
    // As an image (not a label map) the same file reads, with the scaling applied.
    assert.ok(Math.abs(readNifti(f).volume.data[0]! - 1e-30) < 1e-36);
  });

  test('scl_slope 0.5 on odd labels: refused; scl_slope 2: labels doubled, accepted', () => {
    const f = path('half.nii');
    writeFileSync(f, niftiBytes({ f32: [[112, 0.5]] }));
    throwsInput(() => readLabelMap(f), /is 1\.5/);
    const g = path('double.nii');
    writeFileSync(g, niftiBytes({ f32: [[112, 2]] }));
    const v = readLabelMap(g);
    assert.equal(Array.from(v.data).filter((x) => x === 6).length, 64);
    assert.equal(Array.from(v.data).filter((x) => x !== 0 && x !== 6).length, 0);
  });

  test('a float NRRD label map with fractional values is refused naming the file and type', () => {
    const d = path('nrrdfloat');
    mkdirSync(d);
    const data = new Float32Array(8).fill(0.25);
    const f = join(d, 'l.nrrd');
    writeFileSync(
      f,
      Buffer.concat([
        Buffer.from('NRRD0004\ntype: float\ndimension: 3\nsizes: 2 2 2\nencoding: raw\nendian: little\n\n'),
        Buffer.from(data.buffer),
      ]),
    );
    const e = throwsInput(() => readLabelMap(f), /l\.nrrd/, /whole numbers/);
    assert.equal(e.location.field, 'type');
  });
});

describe('NRRD data file: confined, regular, bounded', () => {
  const nhdr = (dir: string, dataFile: string, extra = '', sizes = '2 2 2'): string => {
    const f = join(dir, 'img.nhdr');
    writeFileSync(
      f,
      `NRRD0004\ntype: uchar\ndimension: 3\nsizes: ${sizes}\nencoding: raw\n${extra}data file: ${dataFile}\n`,
    );
    return f;
  };

  test('data file /dev/zero: refused as outside the folder, and as a device when /dev is a root', () => {
    const d = path('devzero');
    mkdirSync(d);
    const f = nhdr(d, '/dev/zero');
    const e = throwsInput(() => readNrrd(f), /leaves the allowed folders/);
    assert.equal(e.location.field, 'data file');
    assert.equal(e.location.value, '/dev/zero');
    throwsInput(() => readNrrd(f, 'label', { roots: ['/dev'] }), /a device, not a regular file/);
  });

  test('data file ../../etc/passwd is refused, naming the header and the field', () => {
    const d = path('passwd');
    mkdirSync(join(d, 'a', 'b'), { recursive: true });
    const f = nhdr(join(d, 'a', 'b'), '../../etc/passwd');
    const e = throwsInput(() => readNrrd(f), /img\.nhdr/, /data file/, /leaves the allowed folders/);
    assert.equal(e.location.file, f);
  });

  test('a symbolic link inside the folder pointing outside it is refused', () => {
    const d = path('linkout');
    mkdirSync(join(d, 'in'), { recursive: true });
    writeFileSync(join(d, 'outside.raw'), Buffer.alloc(8, 1));
    symlinkSync(join(d, 'outside.raw'), join(d, 'in', 'data.raw'));
    throwsInput(() => readNrrd(nhdr(join(d, 'in'), 'data.raw')), /leaves the allowed folders/);
  });

  test('a data file in a root the caller allows is read, with the right values', () => {
    const d = path('rooted');
    mkdirSync(join(d, 'headers'), { recursive: true });
    mkdirSync(join(d, 'data'), { recursive: true });
    writeFileSync(join(d, 'data', 'x.raw'), Uint8Array.from([0, 1, 2, 3, 4, 5, 6, 7]));
    const f = nhdr(join(d, 'headers'), '../data/x.raw');
    throwsInput(() => readNrrd(f), /leaves the allowed folders/);
    const img = readNrrd(f, 'label', { roots: [join(d, 'headers'), join(d, 'data')] });
    assert.deepEqual(Array.from(img.volume.data), [0, 1, 2, 3, 4, 5, 6, 7]);
  });

  test('a gzip NRRD that inflates beyond its sizes stops at the declared 8 bytes', () => {
    const d = path('nrrdbomb');
    mkdirSync(d);
    const f = join(d, 'b.nrrd');
    writeFileSync(
      f,
      Buffer.concat([
        Buffer.from('NRRD0004\ntype: uchar\ndimension: 3\nsizes: 2 2 2\nencoding: gzip\n\n'),
        gzipSync(Buffer.alloc(32 << 20)),
      ]),
    );
    const e = throwsInput(() => readNrrd(f), /more than the 8 bytes/);
    assert.equal(e.location.field, 'encoding');
  });

  test('declared sizes over the budget are refused before the data file is opened', () => {
    const d = path('nrrdhuge');
    mkdirSync(d);
    // The data file does not even exist: the size check comes first.
    const e = throwsInput(
      () => readNrrd(nhdr(d, 'absent.raw', '', '100000 100000 100000')),
      /over the \d+-byte budget/,
    );
    assert.equal(e.location.field, 'sizes');
  });
});
