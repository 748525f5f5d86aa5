/**
 * Series that are not what they claim (issue 12 item 5): symbolic links to slices are followed (the
 * volume is whole), other non-regular entries are refused; a series with a slice missing at an end
 * (slice count ≠ NumberOfSlices), inconsistent spacing or a duplicate position is refused naming the
 * folder and the positions; RescaleSlope 0 / negative / NaN, PixelSpacing 0 and NaN geometry are
 * refused naming the tag (keyword and number) and the file.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../../../src/errors.js';
import { readDicomSeries } from '../../../src/io/dicom/series.js';
import { sharedData } from '../../helpers/shared-data.js';
import { copySeries, rewriteDicom, tempDir } from './helpers.js';

const src = (): string => join(sharedData('imaging', 'ibsi-suv-dro', 'DRO_0_0'), 'PT');

async function rejectsInput(p: Promise<unknown>, ...patterns: RegExp[]): Promise<InputError> {
  let caught: unknown;
  await p.then(
    () => assert.fail('expected an InputError'),
    (e: unknown) => {
      caught = e;
    },
  );
  assert.ok(caught instanceof InputError, `expected InputError, got ${String(caught)}`);
  for (const re of patterns) assert.match(caught.message, re);
  return caught;
}

/** A copy of DRO_0_0 with `edit` applied to the dataset of slice number `index` (0-based, name order). */
function editedCopy(
  index: number,
  edit: (ds: Record<string, unknown>) => void,
): { dir: string; name: string } {
  const dir = tempDir();
  const names = copySeries(src(), dir);
  const name = names[index]!;
  rewriteDicom(join(src(), name), join(dir, name), edit);
  return { dir, name };
}

describe('series folders: symbolic links and non-regular files', () => {
  test('symlinked slices are followed: all 20 slices, the same volume as the plain copy', async () => {
    const dir = tempDir();
    try {
      const names = readdirSync(src()).sort();
      // Every 5th slice (4 of 20) is a symbolic link to the original file, as in the issue.
      names.forEach((n, i) => {
        if (i % 5 === 2) symlinkSync(join(src(), n), join(dir, n));
        else copyFileSync(join(src(), n), join(dir, n));
      });
      const plain = await readDicomSeries(src());
      const linked = await readDicomSeries(dir);
      assert.equal(linked.instances.length, 20);
      assert.deepEqual(linked.volume.size, plain.volume.size);
      assert.deepEqual(linked.volume.data, plain.volume.data);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a FIFO in the series folder is refused by name, without blocking', async () => {
    const dir = tempDir();
    try {
      copySeries(src(), dir);
      execFileSync('mkfifo', [join(dir, 'zz_pipe.dcm')]);
      await rejectsInput(readDicomSeries(dir), /zz_pipe\.dcm/, /not a regular file/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a symbolic link to a device is refused by name', async () => {
    const dir = tempDir();
    try {
      copySeries(src(), dir);
      symlinkSync('/dev/zero', join(dir, 'zz_zero.dcm'));
      await rejectsInput(readDicomSeries(dir), /zz_zero\.dcm/, /not a regular file/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a dangling symbolic link is refused by name', async () => {
    const dir = tempDir();
    try {
      copySeries(src(), dir);
      symlinkSync(join(dir, 'nowhere.dcm'), join(dir, 'zz_dangling.dcm'));
      await rejectsInput(readDicomSeries(dir), /zz_dangling\.dcm/, /broken symbolic link/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('series whose slice count or spacing does not add up', () => {
  test('last 4 slices missing: the slice count differs from NumberOfSlices (folder named)', async () => {
    const dir = tempDir();
    try {
      // The stack is even without its last 4 slices: only the declared count can tell.
      const names = readdirSync(src()).sort();
      copySeries(src(), dir, (n) => names.indexOf(n) < 16);
      // Put NumberOfSlices = 20 in every header (as scanners write it) so the check has its reference.
      for (const n of readdirSync(dir)) {
        rewriteDicom(join(dir, n), join(dir, n), (ds) => {
          ds['NumberOfSlices'] = 20;
        });
      }
      const e = await rejectsInput(
        readDicomSeries(dir),
        /holds 16 slice positions/,
        /declares 20 slices/,
        new RegExp(dir),
      );
      assert.equal(e.location.field, 'NumberOfSlices (0054,0081)');
      assert.equal(e.location.file, dir);
      assert.equal(e.location.value, 20);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a slice moved by 1 mm: inconsistent spacing names the folder and both positions', async () => {
    const { dir } = editedCopy(7, (ds) => {
      const ipp = (ds['ImagePositionPatient'] as number[]).map(Number);
      ds['ImagePositionPatient'] = [ipp[0], ipp[1], ipp[2]! + 1];
    });
    try {
      const e = await rejectsInput(
        readDicomSeries(dir),
        /uneven slice spacing/,
        /slice positions -?\d+\.\d{3} and -?\d+\.\d{3} mm/,
        new RegExp(`series folder ${dir}`),
        /inconsistent spacing/,
      );
      assert.equal(e.location.field, 'ImagePositionPatient (0020,0032)');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a missing middle slice: the message counts the missing slice', async () => {
    const dir = tempDir();
    try {
      copySeries(src(), dir, (n) => !n.endsWith('_010.dcm'));
      await rejectsInput(readDicomSeries(dir), /8\.000 mm/, /1 slice\(s\) missing/, new RegExp(dir));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a duplicate slice (same position, same time) is refused naming both files', async () => {
    const dir = tempDir();
    try {
      const names = copySeries(src(), dir);
      rewriteDicom(join(src(), names[4]!), join(dir, 'zz_copy.dcm'), (ds) => {
        ds['SOPInstanceUID'] = `${String(ds['SOPInstanceUID'])}.9`;
      });
      await rejectsInput(readDicomSeries(dir), /zz_copy\.dcm|has 2 image/, /duplicate/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('header values that cannot be right', () => {
  for (const [label, value] of [
    ['0', 0],
    ['negative', -1],
    ['NaN', 'NaN'],
  ] as const) {
    test(`RescaleSlope ${label}: refused naming RescaleSlope (0028,1053) and the file`, async () => {
      const { dir, name } = editedCopy(3, (ds) => {
        ds['RescaleSlope'] = value;
      });
      try {
        const e = await rejectsInput(readDicomSeries(dir), new RegExp(name), /RescaleSlope \(0028,1053\)/);
        assert.equal(e.location.field, 'RescaleSlope (0028,1053)');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }

  test('PixelSpacing 0: refused naming PixelSpacing (0028,0030) and the file', async () => {
    const { dir, name } = editedCopy(0, (ds) => {
      ds['PixelSpacing'] = [0, 0];
    });
    try {
      const e = await rejectsInput(readDicomSeries(dir), new RegExp(name), /must be > 0 mm/);
      assert.equal(e.location.field, 'PixelSpacing (0028,0030)');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('PixelSpacing 0 in a later slice is refused too (not only the first)', async () => {
    const { dir, name } = editedCopy(9, (ds) => {
      ds['PixelSpacing'] = [2, 0];
    });
    try {
      const e = await rejectsInput(readDicomSeries(dir), new RegExp(name));
      assert.equal(e.location.field, 'PixelSpacing (0028,0030)');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  for (const [key, tag, value] of [
    ['ImagePositionPatient', '(0020,0032)', ['NaN', 0, 0]],
    ['ImageOrientationPatient', '(0020,0037)', [1, 0, 0, 0, 'NaN', 0]],
  ] as const) {
    test(`NaN in ${key}: refused naming ${key} ${tag} and the file`, async () => {
      const { dir, name } = editedCopy(5, (ds) => {
        ds[key] = [...value];
      });
      try {
        const e = await rejectsInput(readDicomSeries(dir), new RegExp(name));
        assert.equal(e.location.field, `${key} ${tag}`);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});

test('headers claiming a 65535×65535 matrix are refused on their PixelData before any allocation', async () => {
  const dir = tempDir();
  try {
    // Two slices: 2 × 65535² voxels is past the largest typed array, so an allocation made before
    // the PixelData check would throw a RangeError instead of naming the file.
    const names = readdirSync(src()).sort().slice(0, 2);
    for (const name of names) {
      rewriteDicom(join(src(), name), join(dir, name), (ds) => {
        ds['Rows'] = 65535;
        ds['Columns'] = 65535;
      });
    }
    await rejectsInput(readDicomSeries(dir), new RegExp(names[0]!), /PixelData too short/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a single slice with SliceThickness 0 is refused naming SliceThickness (0018,0050)', async () => {
  const dir = tempDir();
  try {
    const name = readdirSync(src()).sort()[0]!;
    rewriteDicom(join(src(), name), join(dir, name), (ds) => {
      ds['SliceThickness'] = 0;
    });
    const e = await rejectsInput(readDicomSeries(dir), new RegExp(name), /must be > 0 mm/);
    assert.equal(e.location.field, 'SliceThickness (0018,0050)');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a sub-folder inside a series folder is ignored, not read as a slice', async () => {
  const dir = tempDir();
  try {
    copySeries(src(), dir);
    mkdirSync(join(dir, 'sub'));
    const s = await readDicomSeries(dir);
    assert.equal(s.instances.length, 20);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
