/**
 * Plate bench (issue 16 item 5): writes a simulated 96-well plate (`renderPlateWell`: the trial's flow model, 12
 * channels + Time, 10⁵ events per well, float32 FCS 3.1 with $SPILLOVER; 12 wells rendered, one with a clog and
 * one with saturated events, the others copies of steady ones), then times `carto fcs plate` on it end
 * to end in a child process (start-up, reading, compensation-ref "FCS" gates, QC, MFIs of 4 channels, writing
 * the output folder), then in this process with 1 and 2 threads to report CPU time (the machine is shared: wall
 * time follows the load). Target: under 60 s. No peer tool is installed on this machine (no flowCore, FlowKit).
 * Usage: npm run bench flow-plate   (CARTO_BENCH_WELLS, CARTO_BENCH_EVENTS override 96 and 10⁵)
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeFcs } from '../src/io/fcs/writer.js';
import { flowGatingMl, renderPlateWell } from '../src/sim/flow.js';
import { Command } from 'commander';
import { register } from '../src/cli/commands/fcs-plate.js';
import { timeIt } from './util.js';

const WELLS = Number(process.env['CARTO_BENCH_WELLS'] ?? 96);
const N = Number(process.env['CARTO_BENCH_EVENTS'] ?? 1e5);
const root = join(dirname(fileURLToPath(import.meta.url)), '..');

const dir = mkdtempSync(join(tmpdir(), 'carto-plate-bench-'));
try {
  const plate = join(dir, 'plate');
  // 12 distinct wells are rendered (rendering is slow); the other wells are copies of a steady one of them.
  const gen = await timeIt(() => {
    mkdirSync(plate);
    for (let k = 0; k < WELLS; k++) {
      const well = `${'ABCDEFGH'[Math.floor(k / 12) % 8]}${String((k % 12) + 1).padStart(2, '0')}`;
      const file = join(plate, `bench_${well}.fcs`);
      if (k >= 12) {
        const base = k % 12 === 5 || k % 12 === 7 ? 0 : k % 12;
        copyFileSync(join(plate, `bench_A${String(base + 1).padStart(2, '0')}.fcs`), file);
        continue;
      }
      const w = renderPlateWell(20261206, well, {
        events: N,
        ...(k === 5 ? { unstable: { startFraction: 0.4, endFraction: 0.5, rateFactor: 0.2 } } : {}),
        ...(k === 7 ? { marginFraction: 0.03 } : {}),
      });
      writeFcs(file, { ...w, fileName: `bench_${well}.fcs` });
    }
  });
  const gating = join(dir, 'gates.xml');
  writeFileSync(gating, flowGatingMl());
  console.log(`generated ${WELLS} wells × ${N} events in ${gen.seconds.toFixed(1)} s`);
  const load0 = loadavg()[0]!;
  const run = await timeIt(() =>
    spawnSync(
      process.execPath,
      [
        join(root, 'bin', 'carto.js'),
        'fcs',
        'plate',
        plate,
        '--gating',
        gating,
        '--mfi',
        'BV605-A,PE-Cy7-A,PE-A,FITC-A',
        '--compensate',
        '--out',
        join(dir, 'out'),
      ],
      { encoding: 'utf8', cwd: root },
    ),
  );
  if (run.result.status !== 0) throw new Error(`carto fcs plate failed: ${run.result.stderr}`);
  process.stdout.write(run.result.stdout);
  console.log(
    `carto fcs plate, ${WELLS} wells × ${N} events: ${run.seconds.toFixed(1)} s wall (target < 60 s); ` +
      `1-min load average ${load0.toFixed(1)} before, ${loadavg()[0]!.toFixed(1)} after, on ${cpus().length} CPUs`,
  );
  for (const threads of ['1', '2']) {
    const c0 = process.cpuUsage();
    const inProc = await timeIt(async () => {
      const program = new Command().exitOverride();
      register(program);
      const args = ['fcs', 'plate', plate, '--gating', gating, '--mfi', 'BV605-A,PE-Cy7-A,PE-A,FITC-A'];
      const write = process.stdout.write.bind(process.stdout);
      process.stdout.write = () => true; // the summary was printed by the child run
      try {
        await program.parseAsync(['node', 'carto', ...args, '--compensate', '--json', '--threads', threads]);
      } finally {
        process.stdout.write = write;
      }
    });
    const cpu = process.cpuUsage(c0);
    console.log(
      `in-process run, --threads ${threads} (no start-up, no --out): ${inProc.seconds.toFixed(1)} s wall, ` +
        `${((cpu.user + cpu.system) / 1e6).toFixed(1)} s CPU (${((cpu.user + cpu.system) / 1e3 / WELLS).toFixed(0)} ms per well), ` +
        `load ${loadavg()[0]!.toFixed(1)}`,
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
