/**
 * Imaging benchmark (issues 2 and 5).
 *
 * (a) issue 2: a simulated whole-body scan of 200×200×400 voxels (4 × 4 × 4 mm) with 100 VOIs — all VOI
 *     statistics including the global SUVpeak: time and peak memory.
 * (b) issue 5: a Quadra-sized volume of 440×440×645 float32 voxels (1.65 mm) with 117 organ labels and
 *     30 lesions — all VOI statistics including global SUVpeak, and MATV (SUV ≥ 2.5 per lesion, and the
 *     patient total) — beside the independent NumPy/SciPy script bench/imaging_numpy.py on the same data
 *     (written to a raw file in a temp dir), in the same run; prints both times, both peak memories and
 *     the largest differences between the two sets of numbers.
 *
 * Volumes are synthesised deterministically here (seeded LCG). Our figures are measured in this process
 * (peak RSS includes the synthetic volume itself); NumPy's in its own process (ru_maxrss, includes its
 * copy of the volume). Set BENCH_IMAGING_SKIP_NUMPY=1 to skip the NumPy comparison.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { quantifyLabelMap } from '../src/imaging/voi-stats.js';
import { matvForLabels } from '../src/imaging/segmentation.js';
import type { LesionMatv, ThresholdRule } from '../src/imaging/segmentation.js';
import { gaussianFilter } from '../src/imaging/filter.js';
import { renderMip } from '../src/imaging/mip.js';
import type { LabelStatistics } from '../src/imaging/voi-stats.js';
import type { Vec3, Volume } from '../src/imaging/volume.js';
import { peakRssMiB, report, timeIt } from './util.js';

const here = dirname(fileURLToPath(import.meta.url));

/** Deterministic uniform [0, 1) generator. */
function lcg(seed: number): () => number {
  let x = seed >>> 0;
  return () => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return x / 4294967296;
  };
}

interface Phantom {
  suv: Volume<Float32Array>;
  labels: Volume<Uint8Array>;
  organLabels: number[];
  lesionLabels: number[];
}

/**
 * Whole-body phantom: elliptic-cylinder body (SUV ≈ 1 with noise), `organs` ellipsoids at uptakes
 * 0.3–6, `lesions` hot spheres (SUV peak 3–15, blurred edge) labelled after the organs.
 */
function phantom(size: Vec3, spacingMm: Vec3, organs: number, lesions: number, seed: number): Phantom {
  const [nx, ny, nz] = size;
  const n = nx * ny * nz;
  const rnd = lcg(seed);
  const data = new Float32Array(n);
  const lab = new Uint8Array(n);
  const cx = nx / 2;
  const cy = ny / 2;
  const ax = nx * 0.41;
  const ay = ny * 0.26;
  const z0 = Math.floor(nz * 0.03);
  const z1 = Math.ceil(nz * 0.97);
  for (let k = z0; k < z1; k++)
    for (let j = 0; j < ny; j++) {
      const dy = (j - cy) / ay;
      if (Math.abs(dy) >= 1) continue;
      const half = ax * Math.sqrt(1 - dy * dy);
      const i0 = Math.max(0, Math.ceil(cx - half));
      const i1 = Math.min(nx - 1, Math.floor(cx + half));
      const off = nx * (j + ny * k);
      for (let i = i0; i <= i1; i++) data[off + i] = 1;
    }
  const inBody = (i: number, j: number, k: number) =>
    k >= z0 && k < z1 && ((i - cx) / ax) ** 2 + ((j - cy) / ay) ** 2 < 1;
  const sphereish = (
    label: number,
    ci: number,
    cj: number,
    ck: number,
    r: Vec3,
    value: (d: number) => number,
  ): void => {
    for (let k = Math.max(0, Math.floor(ck - r[2])); k <= Math.min(nz - 1, Math.ceil(ck + r[2])); k++)
      for (let j = Math.max(0, Math.floor(cj - r[1])); j <= Math.min(ny - 1, Math.ceil(cj + r[1])); j++)
        for (let i = Math.max(0, Math.floor(ci - r[0])); i <= Math.min(nx - 1, Math.ceil(ci + r[0])); i++) {
          const d = Math.sqrt(((i - ci) / r[0]) ** 2 + ((j - cj) / r[1]) ** 2 + ((k - ck) / r[2]) ** 2);
          if (d > 1 || !inBody(i, j, k)) continue;
          const q = i + nx * (j + ny * k);
          lab[q] = label;
          data[q] = value(d);
        }
  };
  const organLabels: number[] = [];
  for (let o = 1; o <= organs; o++) {
    const r: Vec3 = [(0.03 + 0.07 * rnd()) * nx, (0.03 + 0.05 * rnd()) * ny, (0.015 + 0.04 * rnd()) * nz];
    const ci = cx + (rnd() * 2 - 1) * (ax - r[0]) * 0.8;
    const cj = cy + (rnd() * 2 - 1) * (ay - r[1]) * 0.6;
    const ck = z0 + r[2] + rnd() * (z1 - z0 - 2 * r[2]);
    const uptake = 0.3 + 5.7 * rnd() ** 2;
    sphereish(o, ci, cj, ck, r, () => uptake);
    organLabels.push(o);
  }
  const lesionLabels: number[] = [];
  for (let l = 0; l < lesions; l++) {
    const label = organs + 1 + l;
    const rMm = 5 + 20 * rnd();
    const r: Vec3 = [rMm / spacingMm[0], rMm / spacingMm[1], rMm / spacingMm[2]];
    const ci = cx + (rnd() * 2 - 1) * ax * 0.6;
    const cj = cy + (rnd() * 2 - 1) * ay * 0.5;
    const ck = z0 + r[2] + rnd() * (z1 - z0 - 2 * r[2]);
    const peak = 3 + 12 * rnd();
    sphereish(label, ci, cj, ck, r, (d) => 1 + (peak - 1) * Math.exp(-2.5 * d * d));
    lesionLabels.push(label);
  }
  // Multiplicative noise (10 %) on the body; low background (SUV ≈ 0.02) outside it, as in real PET,
  // so that every page of the volume is resident (no untouched zero pages flattering the memory figure).
  for (let q = 0; q < n; q++) data[q] = data[q] !== 0 ? data[q]! * (0.9 + 0.2 * rnd()) : 0.02 * rnd();
  const grid = {
    size,
    spacingMm,
    originLps: [0, 0, 0] as Vec3,
    direction: [1, 0, 0, 0, 1, 0, 0, 0, 1] as Volume['direction'],
  };
  // Keep only labels that have voxels (an organ may be fully overwritten by others).
  const present = new Set<number>();
  for (let q = 0; q < n; q++) if (lab[q]) present.add(lab[q]!);
  return {
    suv: { ...grid, data, unit: 'SUVbw g/mL' },
    labels: { ...grid, data: lab, unit: 'label' },
    organLabels: organLabels.filter((l) => present.has(l)),
    lesionLabels: lesionLabels.filter((l) => present.has(l)),
  };
}

function gc(): void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g) g();
}

const MiB = 1024 * 1024;

// (a) issue 2 ------------------------------------------------------------------------------------------
{
  const ph = phantom([200, 200, 400], [4, 4, 4], 80, 20, 2);
  const labels = [...ph.organLabels, ...ph.lesionLabels];
  const { seconds, result } = await timeIt(() => quantifyLabelMap(ph.suv, ph.labels, labels));
  const volMiB = ph.suv.data.byteLength / MiB;
  report(
    `issue 2: whole body 200×200×400 (4 mm), ${result.length} VOIs, all stats incl. global SUVpeak`,
    seconds,
    `volume ${volMiB.toFixed(0)} MiB`,
  );
}
gc();

// (b) issue 5 ------------------------------------------------------------------------------------------
{
  const tSynth = performance.now();
  const ph = phantom([440, 440, 645], [1.65, 1.65, 1.65], 117, 30, 5);
  const synthS = (performance.now() - tSynth) / 1000;
  const labels = [...ph.organLabels, ...ph.lesionLabels];
  const volMiB = ph.suv.data.byteLength / MiB;
  console.log(
    `issue 5: synthesised 440×440×645 float32 (${volMiB.toFixed(0)} MiB) with ${ph.organLabels.length} organs + ${ph.lesionLabels.length} lesions in ${synthS.toFixed(1)} s; RSS so far ${peakRssMiB().toFixed(0)} MiB`,
  );
  gc();
  const cpu0 = process.cpuUsage();
  const rules: [string, ThresholdRule][] = [
    ['fixed2.5', { kind: 'fixed', suv: 2.5 }],
    ['percentMax41', { kind: 'percentMax', percent: 41 }],
  ];
  const { seconds, result: both } = await timeIt(() => {
    const stats = quantifyLabelMap(ph.suv, ph.labels, labels, { matvThresholdSuv: 2.5 });
    const matv = rules.map(([name, rule]) => ({
      name,
      ...matvForLabels(ph.suv, ph.labels, ph.lesionLabels, rule),
    }));
    return { stats, matv };
  });
  const result = both.stats;
  const cpu = process.cpuUsage(cpu0);
  const cpuS = (cpu.user + cpu.system) / 1e6;
  const lesionSet = new Set(ph.lesionLabels);
  const totalMatv = result.filter((r) => lesionSet.has(r.label)).reduce((a, r) => a + r.matvMl, 0);
  const ours = peakRssMiB();
  report(
    `issue 5: TypeScript ${result.length} VOIs, all stats incl. global SUVpeak + MATV of ${ph.lesionLabels.length} lesions (SUV≥2.5: ${totalMatv.toFixed(1)} mL, ${both.matv[0]!.patient.componentCount} components; 41 % SUVmax: ${both.matv[1]!.patient.totalMl.toFixed(1)} mL)`,
    seconds,
    `CPU ${cpuS.toFixed(3)} s, peak RSS / volume size = ${(ours / volMiB).toFixed(2)}×`,
  );

  {
    const f = await timeIt(() => gaussianFilter(ph.suv, 7));
    report('issue 5: Gaussian filter 7 mm FWHM (EARL2 → EARL1) of the whole volume', f.seconds);
    const m = await timeIt(() => renderMip(ph.suv, { axis: 'coronal', windowSuv: [0, 8] }));
    report(`issue 5: coronal MIP PNG ${m.result.widthPx}×${m.result.heightPx} px`, m.seconds);
  }
  gc();

  if (process.env['BENCH_IMAGING_SKIP_NUMPY'] !== '1') {
    const dir = mkdtempSync(join(tmpdir(), 'carto-bench-'));
    try {
      writeFileSync(join(dir, 'image.f32'), ph.suv.data);
      writeFileSync(join(dir, 'labels.u8'), ph.labels.data);
      writeFileSync(
        join(dir, 'meta.json'),
        JSON.stringify({
          size: ph.suv.size,
          spacingMm: ph.suv.spacingMm,
          matvThresholdSuv: 2.5,
          labels,
          lesionLabels: ph.lesionLabels,
        }),
      );
      const t0 = performance.now();
      const py = spawnSync('python3', [join(here, 'imaging_numpy.py'), dir], {
        encoding: 'utf8',
        maxBuffer: 64 * MiB,
      });
      const wall = (performance.now() - t0) / 1000;
      if (py.status !== 0) {
        console.log(`NumPy/SciPy script failed (exit ${py.status}): ${py.stderr}`);
        process.exitCode = 1;
      } else {
        const np = JSON.parse(py.stdout) as {
          seconds: number;
          cpuSeconds: number;
          peakRssMiB: number;
          vois: LabelStatistics[];
          matv: Record<
            string,
            {
              lesions: { label: number; voxelCount: number; componentCount: number }[];
              patientVoxels: number;
              patientComponents: number;
            }
          >;
        };
        console.log(
          `issue 5: NumPy/SciPy same statistics: ${np.seconds.toFixed(3)} s, CPU ${np.cpuSeconds.toFixed(3)} s (process wall incl. reading ${wall.toFixed(1)} s), peak RSS ${np.peakRssMiB.toFixed(0)} MiB, peak RSS / volume size = ${(np.peakRssMiB / volMiB).toFixed(2)}×`,
        );
        console.log(
          `issue 5: speed-up TypeScript vs NumPy/SciPy: ${(np.seconds / seconds).toFixed(2)}× wall, ${(np.cpuSeconds / cpuS).toFixed(2)}× CPU (memory ${ours.toFixed(0)} vs ${np.peakRssMiB.toFixed(0)} MiB)`,
        );
        let maxRel = 0;
        let worst = '';
        let countMismatch = 0;
        const keys = [
          'volumeMl',
          'suvMin',
          'suvMax',
          'suvMean',
          'suvMedian',
          'suvSd',
          'suvPeakLocal',
          'suvPeakGlobal',
          'matvMl',
        ] as const;
        result.forEach((r, n) => {
          const p = np.vois[n]!;
          if (p.label !== r.label || p.voxelCount !== r.voxelCount) countMismatch++;
          for (const key of keys) {
            const rel = Math.abs(r[key] - p[key]) / Math.max(1e-12, Math.abs(p[key]));
            if (rel > maxRel) {
              maxRel = rel;
              worst = `${key} of label ${r.label}`;
            }
          }
        });
        console.log(
          `issue 5: agreement: ${countMismatch} voxel-count mismatches; largest relative difference ${maxRel.toExponential(2)} (${worst})`,
        );
        let matvMismatch = 0;
        for (const m of both.matv) {
          const pm = np.matv[m.name]!;
          m.lesions.forEach((l: LesionMatv, n: number) => {
            const p = pm.lesions[n]!;
            if (p.label !== l.label || p.voxelCount !== l.voxelCount || p.componentCount !== l.componentCount)
              matvMismatch++;
          });
          if (Math.round(m.patient.totalMl / ((1.65 * 1.65 * 1.65) / 1000)) !== pm.patientVoxels)
            matvMismatch++;
          if (m.patient.componentCount !== pm.patientComponents) matvMismatch++;
        }
        console.log(
          `issue 5: MATV agreement (2 rules × ${ph.lesionLabels.length} lesions + patient: voxels, components): ${matvMismatch} mismatches`,
        );
        if (countMismatch > 0 || maxRel > 1e-6 || matvMismatch > 0) process.exitCode = 1;
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}
