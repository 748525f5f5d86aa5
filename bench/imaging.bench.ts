/**
 * Imaging benchmark (issues 2 and 5).
 *
 * (a) issue 2: a simulated whole-body scan of 200×200×400 voxels (4 × 4 × 4 mm) with 100 VOIs — all VOI
 *     statistics including the global SUVpeak: time and peak memory.
 * (b) issue 5: a Quadra-sized volume of 440×440×645 float32 voxels (1.65 mm) with 117 organ labels and
 *     30 lesions — all VOI statistics including global SUVpeak, and MATV (SUV ≥ 2.5 per lesion, and the
 *     patient total) — beside the independent NumPy/SciPy script bench/imaging_numpy.py on the same data
 *     (written to a raw file in a temp dir), in the same run; prints both times, both peak memories and
 *     the largest differences between the two sets of numbers; and the Gaussian filter's time beside
 *     scipy.ndimage.gaussian_filter's on the same volume.
 * (c) issue 18: the whole process on files — `carto suv image.nii --mask labels.nii --json` spawned (the
 *     build when fresh, see bin/carto.js) beside `python3 bench/imaging_numpy.py` spawned on the same
 *     NIfTI files (statistics only): wall time, peak RSS of each process (GNU time's %M when
 *     /usr/bin/time exists, else the script's own figure for Python only) and agreement of the numbers.
 *
 * (d) issue 18 item 3: the Gaussian filter of 7 mm FWHM on the 440×440×645 volume beside
 *     scipy.ndimage.gaussian_filter, BENCH_GAUSS_REPEAT times (default 3) in the same run, medians printed:
 *     the kernels in-process (our `gaussianFilter` here; scipy's call timed inside its script), and the whole
 *     processes on NIfTI files: `carto matv image.nii --mask labels.nii --filter-fwhm-mm 7 --json` beside
 *     `python3 bench/imaging_numpy.py` reading the same files, filtering and computing the same MATV
 *     (SUV ≥ 2.5 per label, voxels and 26-connected components): wall time, peak RSS, agreement.
 *     BENCH_IMAGING_ONLY=gaussian runs (d) alone.
 *
 * Volumes are synthesised deterministically here (seeded LCG). Our figures are measured in this process
 * (peak RSS includes the synthetic volume itself); NumPy's in its own process (ru_maxrss, includes its
 * copy of the volume). Set BENCH_IMAGING_SKIP_NUMPY=1 to skip the NumPy comparison.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { quantifyLabelMap } from '../src/imaging/voi-stats.js';
import { matvForLabels } from '../src/imaging/segmentation.js';
import type { LesionMatv, ThresholdRule } from '../src/imaging/segmentation.js';
import { gaussianFilter } from '../src/imaging/filter.js';
import { renderMip } from '../src/report/images.js';
import type { LabelStatistics } from '../src/imaging/voi-stats.js';
import type { Volume } from '../src/imaging/volume.js';
import { writeNifti } from '../src/io/nifti.js';
import { phantom } from './phantom.js';
import { median, peakRssMiB, report, spawnMeasured, timeIt } from './util.js';

const here = dirname(fileURLToPath(import.meta.url));

function gc(): void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g) g();
}

const MiB = 1024 * 1024;

/**
 * The environment of the processes this bench starts (carto, python3). bench/run.ts runs this bench's
 * own process with glibc's huge-page tunable, as bin/carto.js runs the whole-volume commands
 * (bin/huge-pages.mjs), so that the in-process kernels allocate as the CLI does; the tunable is taken
 * out again for the processes started here, so that `carto` starts as a user's does (its launcher
 * sets the tunable itself, and its cost is in the figures) and the peer keeps its own environment.
 */
const childEnv: NodeJS.ProcessEnv = { ...process.env };
if (process.env['CARTO_BENCH_HUGE_PAGES'] === '1') delete childEnv['GLIBC_TUNABLES'];
if (process.env['CARTO_BENCH_HUGE_PAGES'] === '1')
  console.log(
    `in-process kernels run with GLIBC_TUNABLES=${process.env['GLIBC_TUNABLES']} (as bin/carto.js runs volume commands)`,
  );

const gaussianOnly = process.env['BENCH_IMAGING_ONLY'] === 'gaussian';

// (a) issue 2 ------------------------------------------------------------------------------------------
if (!gaussianOnly) {
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
if (gaussianOnly) {
  const ph = phantom([440, 440, 645], [1.65, 1.65, 1.65], 117, 30, 5);
  gaussianComparison(ph.suv, ph.labels, [...ph.organLabels, ...ph.lesionLabels]);
} else {
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

  let gaussS: number;
  {
    const f = await timeIt(() => gaussianFilter(ph.suv, 7));
    gaussS = f.seconds;
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
          gaussianFwhmMm: 7,
        }),
      );
      const t0 = performance.now();
      const py = spawnSync('python3', [join(here, 'imaging_numpy.py'), dir], {
        env: childEnv,
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
          gaussianSeconds: number;
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
        console.log(
          `issue 5: Gaussian 7 mm FWHM: TypeScript ${gaussS.toFixed(3)} s vs scipy.ndimage.gaussian_filter ${np.gaussianSeconds.toFixed(3)} s (${(gaussS / np.gaussianSeconds).toFixed(2)}× scipy's time)`,
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
  if (process.env['BENCH_IMAGING_SKIP_NUMPY'] !== '1') {
    wholeProcess(ph.suv, ph.labels, labels);
    gaussianComparison(ph.suv, ph.labels, labels);
  }
}

/** (c) issue 18: `carto suv` and the NumPy script as whole processes on the same NIfTI files. */
function wholeProcess(suv: Volume<Float32Array>, labelMap: Volume<Uint8Array>, labels: number[]): void {
  const dir = mkdtempSync(join(tmpdir(), 'carto-bench-'));
  try {
    writeNifti(suv, join(dir, 'image.nii'));
    writeNifti(labelMap, join(dir, 'labels.nii'));
    writeFileSync(
      join(dir, 'meta.json'),
      JSON.stringify({
        size: suv.size,
        spacingMm: suv.spacingMm,
        matvThresholdSuv: 2.5,
        labels,
        lesionLabels: [],
      }),
    );
    const volMiB = suv.data.byteLength / MiB;
    const carto = join(here, '..', 'bin', 'carto.js');
    const ours = spawnMeasured(
      process.execPath,
      [carto, 'suv', join(dir, 'image.nii'), '--mask', join(dir, 'labels.nii'), '--json'],
      { env: childEnv },
    );
    const py = spawnMeasured('python3', [join(here, 'imaging_numpy.py'), dir], { env: childEnv });
    if (ours.status !== 0 || py.status !== 0) {
      console.log(
        `issue 18: whole process failed: carto exit ${ours.status} ${ours.stderr}; python exit ${py.status} ${py.stderr}`,
      );
      process.exitCode = 1;
      return;
    }
    const np = JSON.parse(py.stdout) as { peakRssMiB: number; vois: LabelStatistics[] };
    const res = JSON.parse(ours.stdout) as { vois: LabelStatistics[] };
    const pyRss = Number.isFinite(py.peakRssMiB) ? py.peakRssMiB : np.peakRssMiB;
    const mode = ours.stderr.includes('running from source') ? 'from source' : 'from the build';
    console.log(
      `issue 18: whole process \`carto suv image.nii --mask labels.nii --json\` (${mode}): ${ours.seconds.toFixed(2)} s, peak RSS ${ours.peakRssMiB.toFixed(0)} MiB (${(ours.peakRssMiB / volMiB).toFixed(2)}× the volume)`,
    );
    console.log(
      `issue 18: whole process \`python3 bench/imaging_numpy.py\` (NumPy/SciPy, same files, same statistics): ${py.seconds.toFixed(2)} s, peak RSS ${pyRss.toFixed(0)} MiB (${(pyRss / volMiB).toFixed(2)}× the volume)`,
    );
    console.log(
      `issue 18: carto suv / NumPy whole-process time = ${(ours.seconds / py.seconds).toFixed(2)} (target ≤ 0.3), memory ${(ours.peakRssMiB / volMiB).toFixed(2)}× the volume (target < 2×)`,
    );
    let maxRel = 0;
    let mismatch = 0;
    const keys = [
      'suvMin',
      'suvMax',
      'suvMean',
      'suvMedian',
      'suvSd',
      'suvPeakLocal',
      'suvPeakGlobal',
    ] as const;
    res.vois.forEach((r, n) => {
      const p = np.vois[n];
      if (!p || p.label !== r.label || p.voxelCount !== r.voxelCount) {
        mismatch++;
        return;
      }
      for (const key of keys)
        maxRel = Math.max(maxRel, Math.abs(r[key] - p[key]) / Math.max(1e-12, Math.abs(p[key])));
    });
    console.log(
      `issue 18: agreement of ${res.vois.length} VOIs: ${mismatch} label/voxel-count mismatches, largest relative difference ${maxRel.toExponential(2)}`,
    );
    if (mismatch > 0 || res.vois.length !== np.vois.length || maxRel > 1e-6) process.exitCode = 1;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** (d) issue 18 item 3: Gaussian 7 mm FWHM, ours beside scipy's, kernels and whole processes, repeated. */
function gaussianComparison(suv: Volume<Float32Array>, labelMap: Volume<Uint8Array>, labels: number[]): void {
  const repeat = Number(process.env['BENCH_GAUSS_REPEAT'] ?? 3);
  const dir = mkdtempSync(join(tmpdir(), 'carto-bench-'));
  try {
    writeNifti(suv, join(dir, 'image.nii'));
    writeNifti(labelMap, join(dir, 'labels.nii'));
    const meta = {
      size: suv.size,
      spacingMm: suv.spacingMm,
      labels,
      lesionLabels: [],
      matvThresholdSuv: 2.5,
      gaussianFwhmMm: 7,
      mode: 'gaussian',
    };
    writeFileSync(join(dir, 'meta.json'), JSON.stringify(meta));
    writeFileSync(join(dir, 'meta-matv.json'), JSON.stringify({ ...meta, matv: true }));
    const carto = join(here, '..', 'bin', 'carto.js');
    const rows = {
      ours: [] as number[],
      oursCpu: [] as number[],
      scipy: [] as number[],
      scipyCpu: [] as number[],
      cartoS: [] as number[],
      cartoCpu: [] as number[],
      cartoMiB: [] as number[],
    };
    const py = { s: [] as number[], cpu: [] as number[], mib: [] as number[] };
    let mode = '';
    let agreement = '';
    for (let k = 0; k < repeat; k++) {
      gc();
      const f = performance.now();
      const c0 = process.cpuUsage();
      gaussianFilter(suv, 7);
      const cpu = process.cpuUsage(c0); // the whole process: worker threads included
      rows.ours.push((performance.now() - f) / 1000);
      rows.oursCpu.push((cpu.user + cpu.system) / 1e6);
      gc();
      const pk = spawnSync('python3', [join(here, 'imaging_numpy.py'), dir], {
        encoding: 'utf8',
        env: childEnv,
      });
      if (pk.status !== 0) throw new Error(`imaging_numpy.py (gaussian) failed: ${pk.stderr}`);
      const sp = JSON.parse(pk.stdout) as { gaussianSeconds: number; gaussianCpuSeconds: number };
      rows.scipy.push(sp.gaussianSeconds);
      rows.scipyCpu.push(sp.gaussianCpuSeconds);
      // Whole processes on the same files, in turn.
      const ours = spawnMeasured(
        process.execPath,
        [
          carto,
          'matv',
          join(dir, 'image.nii'),
          '--mask',
          join(dir, 'labels.nii'),
          '--filter-fwhm-mm',
          '7',
          '--json',
        ],
        { env: childEnv },
      );
      const peer = spawnMeasured(
        'python3',
        [join(here, 'imaging_numpy.py'), dir, join(dir, 'meta-matv.json')],
        { env: childEnv },
      );
      if (ours.status !== 0 || peer.status !== 0) {
        console.log(
          `issue 18: Gaussian whole process failed: carto ${ours.status} ${ours.stderr}; python ${peer.status} ${peer.stderr}`,
        );
        process.exitCode = 1;
        return;
      }
      mode = ours.stderr.includes('running from source') ? 'from source' : 'from the build';
      rows.cartoS.push(ours.seconds);
      rows.cartoMiB.push(ours.peakRssMiB);
      rows.cartoCpu.push(ours.cpuSeconds);
      py.cpu.push(peer.cpuSeconds);
      py.s.push(peer.seconds);
      py.mib.push(peer.peakRssMiB);
      const o = JSON.parse(ours.stdout) as {
        lesions: { label: number; voxelCount: number; componentCount: number }[];
        patient: { totalMl: number; componentCount: number };
      };
      const p = (
        JSON.parse(peer.stdout) as {
          matv: {
            lesions: { label: number; voxelCount: number; componentCount: number }[];
            patientVoxels: number;
            patientComponents: number;
          };
        }
      ).matv;
      let voxelDiff = 0;
      let compDiff = 0;
      for (const l of o.lesions) {
        const q = p.lesions.find((x) => x.label === l.label);
        if (!q || q.voxelCount !== l.voxelCount) voxelDiff++;
        if (!q || q.componentCount !== l.componentCount) compDiff++;
      }
      const vml = (suv.spacingMm[0] * suv.spacingMm[1] * suv.spacingMm[2]) / 1000;
      agreement =
        `${o.lesions.length} labels: ${voxelDiff} voxel-count and ${compDiff} component-count differences; patient ` +
        `${Math.round(o.patient.totalMl / vml)} vs ${p.patientVoxels} voxels, ${o.patient.componentCount} vs ${p.patientComponents} components ` +
        '(the border rules differ: renormalised vs scipy reflect)';
      console.log(
        `issue 18 Gaussian run ${k + 1} (1-min load ${loadavg()[0]!.toFixed(1)}): kernel ours ${rows.ours[k]!.toFixed(2)} s (CPU ${rows.oursCpu[k]!.toFixed(2)} s), scipy ${rows.scipy[k]!.toFixed(2)} s (CPU ${rows.scipyCpu[k]!.toFixed(2)} s); ` +
          `whole process carto matv --filter-fwhm-mm 7 ${ours.seconds.toFixed(2)} s (CPU ${ours.cpuSeconds.toFixed(1)} s) / ${ours.peakRssMiB.toFixed(0)} MiB, python ${peer.seconds.toFixed(2)} s (CPU ${peer.cpuSeconds.toFixed(1)} s) / ${peer.peakRssMiB.toFixed(0)} MiB`,
      );
    }
    console.log(
      `issue 18: Gaussian 7 mm FWHM, median of ${repeat}: kernel TypeScript ${median(rows.ours).toFixed(2)} s (CPU ${median(rows.oursCpu).toFixed(2)} s) vs scipy.ndimage.gaussian_filter ${median(rows.scipy).toFixed(2)} s (CPU ${median(rows.scipyCpu).toFixed(2)} s): ${(median(rows.ours) / median(rows.scipy)).toFixed(2)}× scipy's time (target ≤ 1), ${(median(rows.oursCpu) / median(rows.scipyCpu)).toFixed(2)}× its CPU`,
    );
    console.log(
      `issue 18: whole process \`carto matv image.nii --mask labels.nii --filter-fwhm-mm 7 --json\` (${mode}) ${median(rows.cartoS).toFixed(2)} s (CPU ${median(rows.cartoCpu).toFixed(1)} s), peak RSS ${median(rows.cartoMiB).toFixed(0)} MiB vs \`python3 bench/imaging_numpy.py\` (read, gaussian_filter, same MATV) ${median(py.s).toFixed(2)} s (CPU ${median(py.cpu).toFixed(1)} s), peak RSS ${median(py.mib).toFixed(0)} MiB (${(median(rows.cartoS) / median(py.s)).toFixed(2)}× its time)`,
    );
    console.log(`issue 18: Gaussian MATV agreement (last run): ${agreement}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
