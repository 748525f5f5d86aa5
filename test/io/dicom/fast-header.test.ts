/**
 * The fast series header path (dicom-parser, allow-listed attributes) must give the same header
 * record as the full dcmjs path (naturalizeDataset + pickPetHeader) on every kind of reference file:
 * the 17 IBSI DROs (Explicit VR, no group length, private Philips/GE tags), STS_001 (Implicit VR,
 * nested sequences) and the two real ACRIN-FLT slices. Strings compare trimmed, and an empty
 * string equals an absent attribute (both read as "absent" by the SUV rules).
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { pickPetHeader } from '../../../src/io/dicom/header.js';
import { parseDicomBytes, parsePetImageBytes } from '../../../src/io/dicom/parse.js';
import { sharedData } from '../../helpers/shared-data.js';

function norm(v: unknown): unknown {
  if (typeof v === 'string') return v.trim() === '' ? undefined : v.trim();
  if (Array.isArray(v)) return v.map(norm);
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      const n = norm(x);
      if (k !== '_vrMap' && n !== undefined) out[k] = n;
    }
    return out;
  }
  return v;
}

test('fast header = dcmjs header on DROs, STS_001 and real slices', () => {
  const root = sharedData('imaging', 'ibsi-suv-dro');
  const files: string[] = [];
  for (const d of readdirSync(root).filter((x) => /^DRO_\d_\d$/.test(x))) {
    const pt = join(root, d, 'PT');
    const names = readdirSync(pt).sort();
    files.push(join(pt, names[0]!), join(pt, names[names.length - 1]!));
  }
  const sts = join(sharedData('imaging', 'sts-001-pet'), 'dicom', 'STS_001', 'PET', 'image');
  const stsNames = readdirSync(sts).sort();
  files.push(join(sts, stsNames[0]!), join(sts, stsNames[stsNames.length - 1]!));
  const real = sharedData('imaging', 'real-pet-slices');
  files.push(join(real, 'acrin-flt-breast-1.dcm'), join(real, 'acrin-flt-breast-2.dcm'));
  assert.equal(files.length, 38);
  for (const f of files) {
    const bytes = readFileSync(f);
    const full = parseDicomBytes(bytes, f);
    const fast = parsePetImageBytes(bytes, f);
    assert.deepEqual(norm(pickPetHeader(fast.dataset)), norm(pickPetHeader(full.dataset)), f);
    assert.deepEqual(fast.pixelData, full.pixelData, `${f}: pixel bytes`);
  }
});
