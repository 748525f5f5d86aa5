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
import { phantom } from './phantom.js';
import { peakRssMiB, report, timeIt } from './util.js';

const here = dirname(fileURLToPath(import.meta.url));

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
