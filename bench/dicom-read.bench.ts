/**
 * DICOM reading speed: a synthetic whole-body PET series (400 slices of 200×200 int16, Explicit VR
 * LE, per-slice RescaleSlope, written once with dcmjs from an IBSI DRO header into a temporary
 * folder) read by `readDicomSeries` and converted by `loadPetSuv` (SUVbw). Also a Quadra-sized slice
 * matrix (440×440 × 645 slices) when BENCH_QUADRA=1.
 * Run: npm run bench dicom-read
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import dcmjs from 'dcmjs';
import { withMetaGroupLength } from '../src/io/dicom/parse.js';
import { readDicomSeries } from '../src/io/dicom/series.js';
import { loadPetSuv } from '../src/io/dicom/load-pet-suv.js';
import { report, timeIt } from './util.js';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
const template = join(
  root,
  '..',
  'shared',
  'data',
  'imaging',
  'ibsi-suv-dro',
  'DRO_0_0',
  'PT',
  'pet_dro_0_0_slice_000.dcm',
);

function writeSeries(dir: string, nx: number, ny: number, nz: number): void {
  const bytes = withMetaGroupLength(readFileSync(template), template);
  const ab = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  const dict = dcmjs.data.DicomMessage.readFile(ab);
  const base = dcmjs.data.DicomMetaDictionary.naturalizeDataset(dict.dict);
  const seriesUid = '1.2.826.0.1.3680043.10.999.1';
  for (let k = 0; k < nz; k++) {
    const px = new Int16Array(nx * ny);
    for (let n = 0; n < px.length; n++) px[n] = (n * 7 + k * 13) % 30000;
    const ds: Record<string, unknown> = {
      ...base,
      SeriesInstanceUID: seriesUid,
      SOPInstanceUID: `${seriesUid}.${k + 1}`,
      InstanceNumber: k + 1,
      Rows: ny,
      Columns: nx,
      ImagePositionPatient: [-400, -400, -1600 + 4 * k],
      RescaleSlope: 1 + (k % 5) * 0.25,
      PixelData: [px.buffer],
    };
    dict.dict = dcmjs.data.DicomMetaDictionary.denaturalizeDataset(ds);
    dict.meta = { ...dict.meta };
    writeFileSync(join(dir, `slice_${String(k).padStart(4, '0')}.dcm`), new Uint8Array(dict.write()));
  }
}

async function run(nx: number, ny: number, nz: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'carto-bench-dicom-'));
  try {
    const w = await timeIt(() => writeSeries(dir, nx, ny, nz));
    console.log(`write ${nx}×${ny}×${nz} series (setup, not measured): ${w.seconds.toFixed(2)} s`);
    const r0 = await timeIt(() => readDicomSeries(dir));
    report(`readDicomSeries ${nx}×${ny}×${nz} (first call, incl. warm-up)`, r0.seconds);
    const r1 = await timeIt(() => readDicomSeries(dir));
    report(`readDicomSeries ${nx}×${ny}×${nz}`, r1.seconds);
    const r2 = await timeIt(() => loadPetSuv(dir));
    report(
      `loadPetSuv (SUVbw) ${nx}×${ny}×${nz}`,
      r2.seconds,
      `factor[0] ${r2.result.factors[0]!.toExponential(4)}`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await run(200, 200, 400);
if (process.env['BENCH_QUADRA'] === '1') await run(440, 440, 645);
