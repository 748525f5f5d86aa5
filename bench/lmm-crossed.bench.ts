/**
 * Crossed random intercepts with many levels (issue 18 item 4): `y ~ x + (1 | a) + (1 | b)` on 100 000
 * rows with 2 000 levels of a (50 rows each) and 500 levels of b (drawn at random, so b's Schur
 * complement is dense), whole-process `carto stats lmm` beside Rscript lme4 on the same CSV (see
 * lmm-whole-process.ts), plus the in-process fit time and evaluation count.
 * Usage: npm run bench lmm-crossed   (N=20000 NA=400 NB=100 for a quicker run)
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCsv } from '../src/io/csv.js';
import { dataFrameFromCsv } from '../src/stats/data-frame.js';
import { fitLmm } from '../src/stats/lmm/index.js';
import { compareWholeProcess } from './lmm-whole-process.js';
import { report, timeIt } from './util.js';

const n = Number(process.env['N'] ?? 100_000);
const na = Number(process.env['NA'] ?? 2000);
const nb = Number(process.env['NB'] ?? 500);
let seed = 987654321;
const unif = (): number => {
  seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
  return (seed + 0.5) / 4294967296;
};
const norm = (): number => Math.sqrt(-2 * Math.log(unif())) * Math.cos(2 * Math.PI * unif());
const ea = Array.from({ length: na }, () => 0.5 * norm());
const eb = Array.from({ length: nb }, () => 0.3 * norm());
const lines = ['a,b,x,y'];
for (let i = 0; i < n; i++) {
  const a = i % na;
  const b = Math.floor(unif() * nb);
  const x = norm();
  lines.push(`A${a},B${b},${x.toFixed(6)},${(1 + 0.5 * x + ea[a]! + eb[b]! + norm()).toFixed(6)}`);
}
const dir = mkdtempSync(join(tmpdir(), 'carto-lmm-crossed-'));
const file = join(dir, 'crossed.csv');
writeFileSync(file, `${lines.join('\n')}\n`);
const formula = 'y ~ x + (1 | a) + (1 | b)';
const label = `(${n} rows, ${na} × ${nb} levels) ${formula}`;

const df = dataFrameFromCsv(readCsv(file));
const cpu0 = process.cpuUsage();
const { seconds, result } = await timeIt(() => fitLmm(formula, df));
const cpu = process.cpuUsage(cpu0);
report(
  `carto fitLmm in-process ${label}`,
  seconds,
  `cpu ${((cpu.user + cpu.system) / 1e6).toFixed(3)} s, REML crit ${result.criterion.toFixed(6)}, theta ${result.theta.map((v) => v.toPrecision(7)).join(' ')}, ${result.optimizer.evaluations} evaluations`,
);
compareWholeProcess(label, file, formula);
rmSync(dir, { recursive: true, force: true });
