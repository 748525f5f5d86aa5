// `carto stats km|logrank|cox|concordance` on CSV files written by fixtures/cli.R (lung.csv with
// status 1/2 and NA cells, veteran.csv with status 0/1), compared with R on the same files
// (cli.json): KM 1e-10, log-rank and Cox 1e-8 relative, concordance 1e-10 (the tolerances).
// Status codings 0/1, 1/2 and TRUE/FALSE must give identical results; bad input must name the column.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { readCsv } from '../../../src/io/csv.js';
import { jsonReplacer } from '../../../src/cli/shared.js';
import type { CsvTable } from '../../../src/io/csv.js';
import { runConcordance, runCox, runKm, runLogRank } from '../../../src/cli/commands/stats-survival.js';
import { coxphFirth } from '../../../src/stats/survival/index.js';
import { InputError } from '../../../src/errors.js';
import { assertAllClose, assertClose } from '../../helpers/assert-close.js';

const fixture = (f: string): string => new URL(`./fixtures/${f}`, import.meta.url).pathname;
const lung = readCsv(fixture('lung.csv'));
const veteran = readCsv(fixture('veteran.csv'));
interface CoxGold {
  terms: string[];
  coef: number[];
  se: number[];
  robustSe: number[] | null;
  p: number[];
  hrLower: number[];
  hrUpper: number[];
  loglik: number[];
  n: number;
  events: number;
  wald: number;
  score: number;
  concordance: number;
  concordanceSe: number;
}
const gold = JSON.parse(readFileSync(fixture('cli.json'), 'utf8')) as {
  km: Record<string, number[]>;
  logrank: { chisq: number; p: number; observed: number[]; expected: number[] };
  cox1: CoxGold;
  cox2: CoxGold;
  concordance: { concordance: number; se: number };
};

type Row = { surv: number; lower: number };
type Stratum = {
  n: number;
  events: number;
  median: number;
  medianLower: number;
  medianUpper: number;
  table: Row[];
};

test('km --group sex --conf-type log-log equals R survfit on lung.csv (status 1/2)', () => {
  const res = runKm(lung, { time: 'time', status: 'status', group: 'sex', confType: 'log-log' });
  const s = res.strata as unknown as Stratum[];
  assertAllClose(
    s.map((k) => k.median),
    gold.km['median']!,
    1e-10,
    'median',
  );
  assertAllClose(
    s.map((k) => k.medianLower),
    gold.km['medianLower']!,
    1e-10,
    'medianLower',
  );
  assertAllClose(
    s.map((k) => k.medianUpper),
    gold.km['medianUpper']!,
    1e-10,
    'medianUpper',
  );
  assert.deepEqual(
    s.map((k) => k.n),
    gold.km['n'],
  );
  assertAllClose(
    s[0]!.table.map((r) => r.surv),
    gold.km['surv1']!,
    1e-10,
    'surv sex=1',
  );
  assertAllClose(
    s[1]!.table.map((r) => r.lower),
    gold.km['lower2']!,
    1e-10,
    'lower sex=2',
  );
});

function recode(table: CsvTable, col: string, map: (s: string) => string): CsvTable {
  return { ...table, rows: table.rows.map((r) => ({ ...r, [col]: map(r[col]!) })) };
}

test('status codings 0/1, 1/2 and TRUE/FALSE give identical results', () => {
  const a = runKm(lung, { time: 'time', status: 'status' });
  const b = runKm(
    recode(lung, 'status', (s) => String(Number(s) - 1)),
    { time: 'time', status: 'status' },
  );
  const c = runKm(
    recode(lung, 'status', (s) => (s === '2' ? 'TRUE' : 'FALSE')),
    { time: 'time', status: 'status' },
  );
  assert.deepEqual(b, a);
  assert.deepEqual(c, a);
  const f = 'Surv(time, status) ~ age + sex';
  assert.deepEqual(
    runCox(
      recode(lung, 'status', (s) => (s === '2' ? 'TRUE' : 'FALSE')),
      { formula: f },
    ),
    runCox(lung, { formula: f }),
  );
});

test('logrank --rho 1 equals R survdiff on veteran.csv', () => {
  const r = runLogRank(veteran, { time: 'time', status: 'status', group: 'celltype', rho: '1' }) as {
    chisq: number;
    p: number;
    observed: number[];
    expected: number[];
  };
  assertClose(r.chisq, gold.logrank.chisq, 1e-8, 'chisq');
  assertClose(r.p, gold.logrank.p, 1e-8, 'p');
  assertAllClose(r.observed, gold.logrank.observed, 1e-8, 'observed');
  assertAllClose(r.expected, gold.logrank.expected, 1e-8, 'expected');
});

function checkCox(r: Record<string, unknown>, g: CoxGold): void {
  const coefs = r['coefficients'] as {
    term: string;
    estimate: number;
    se: number;
    robustSe: number | null;
    p: number;
    hrLower: number;
    hrUpper: number;
  }[];
  assert.deepEqual(
    coefs.map((k) => k.term),
    g.terms,
  );
  assertAllClose(
    coefs.map((k) => k.estimate),
    g.coef,
    1e-8,
    'coef',
  );
  assertAllClose(
    coefs.map((k) => k.se),
    g.se,
    1e-8,
    'se',
  );
  if (g.robustSe) {
    assertAllClose(
      coefs.map((k) => k.robustSe ?? NaN),
      g.robustSe,
      1e-8,
      'robust se',
    );
  } else assert.ok(coefs.every((k) => k.robustSe === null));
  assertAllClose(
    coefs.map((k) => k.p),
    g.p,
    1e-8,
    'p',
  );
  assertAllClose(
    coefs.map((k) => k.hrLower),
    g.hrLower,
    1e-8,
    'hrLower',
  );
  assertAllClose(
    coefs.map((k) => k.hrUpper),
    g.hrUpper,
    1e-8,
    'hrUpper',
  );
  assertAllClose(r['logLik'] as number[], g.loglik, 1e-8, 'logLik');
  assert.equal(r['n'], g.n);
  assert.equal(r['events'], g.events);
  assertClose((r['wald'] as { stat: number }).stat, g.wald, 1e-8, 'wald');
  assertClose((r['score'] as { stat: number }).stat, g.score, 1e-8, 'score');
  assertClose(r['concordance'] as number, g.concordance, 1e-10, 'concordance');
  assertClose(r['concordanceSe'] as number, g.concordanceSe, 1e-10, 'concordanceSe');
}

test('cox formula with a factor and cluster(inst) equals R coxph (NA rows dropped)', () => {
  const r = runCox(lung, {
    formula: 'Surv(time, status) ~ age + sex + ph.ecog + cluster(inst)',
    factor: 'ph.ecog',
  });
  checkCox(r, gold.cox1);
});

test('cox formula with strata(inst) and Breslow ties equals R coxph', () => {
  const r = runCox(lung, { formula: 'Surv(time, status) ~ age + sex + strata(inst)', ties: 'breslow' });
  checkCox(r, gold.cox2);
});

test('cox --firth equals coxphFirth on the same rows (coxphFirth itself is checked against R)', () => {
  const r = runCox(lung, { formula: 'Surv(time, status) ~ age + sex', firth: true });
  const rows = lung.rows;
  const fit = coxphFirth(
    rows.map((x) => Number(x['time'])),
    rows.map((x) => Number(x['status']) - 1),
    {
      names: ['age', 'sex'],
      columns: [rows.map((x) => Number(x['age'])), rows.map((x) => Number(x['sex']))],
    },
  );
  const coefs = r['coefficients'] as { estimate: number; hrUpper: number; p: number }[];
  assertAllClose(
    coefs.map((k) => k.estimate),
    fit.coefficients.map((k) => k.estimate),
    1e-12,
    'firth estimate',
  );
  assertAllClose(
    coefs.map((k) => k.hrUpper),
    fit.coefficients.map((k) => k.hrUpper),
    1e-12,
    'firth hrUpper',
  );
});

test('concordance equals R concordance(Surv(time, status) ~ age)', () => {
  const r = runConcordance(lung, { time: 'time', status: 'status', predictor: 'age' });
  assertClose(r['concordance'] as number, gold.concordance.concordance, 1e-10, 'C');
  assertClose(r['se'] as number, gold.concordance.se, 1e-10, 'se');
});

test('bad input: negative/missing time, status outside coding, missing column, constant covariate, group without events', () => {
  const is = (re: RegExp) => (e: unknown) => e instanceof InputError && re.test(e.message);
  const neg = { ...lung, rows: lung.rows.map((r, i) => (i === 4 ? { ...r, time: '-3' } : r)) };
  assert.throws(
    () => runKm(neg, { time: 'time', status: 'status' }),
    is(/lung\.csv, row 5, field time: time must be ≥ 0/),
  );
  const miss = { ...lung, rows: lung.rows.map((r, i) => (i === 2 ? { ...r, time: 'NA' } : r)) };
  assert.throws(
    () => runLogRank(miss, { time: 'time', status: 'status', group: 'sex' }),
    is(/row 3, field time: missing time/),
  );
  assert.throws(
    () => runCox(miss, { formula: 'Surv(time, status) ~ age' }),
    is(/row 3, field time: missing time/),
  );
  const bad = { ...lung, rows: lung.rows.map((r, i) => (i === 6 ? { ...r, status: '3' } : r)) };
  assert.throws(
    () => runKm(bad, { time: 'time', status: 'status' }),
    is(/row 7, field status: status must be coded 0\/1, 1\/2 or TRUE\/FALSE \(value: "3"\)$/),
  );
  const bad2 = recode(lung, 'status', (s) => String(Number(s) - 1));
  bad2.rows[9]!['status'] = '2';
  assert.throws(
    () => runKm(bad2, { time: 'time', status: 'status' }),
    is(
      /row 3, field status: status is coded 1\/2 \(largest value 2\) but has a value outside 1\/2 \(value: "0"\)/,
    ),
  );
  assert.throws(
    () => runKm(lung, { time: 'time', status: 'died' }),
    is(/option --status: no such column.*"died"/),
  );
  assert.throws(() => runCox(lung, { formula: 'Surv(time, status) ~ age + karnofsky' }), is(/karnofsky/));
  const withConst = {
    ...lung,
    columns: [...lung.columns, 'site'],
    rows: lung.rows.map((r) => ({ ...r, site: '4' })),
  };
  assert.throws(
    () => runCox(withConst, { formula: 'Surv(time, status) ~ age + site' }),
    is(/field site: covariate is constant/),
  );
  // A group with no events: the log-rank test is still computed (R survdiff keeps it; E > 0).
  const noEv = {
    ...veteran,
    columns: [...veteran.columns, 'arm'],
    rows: veteran.rows.map((r, i) => ({
      ...r,
      arm: i % 10 === 0 ? 'C' : r['trt']!,
      status: i % 10 === 0 ? '0' : r['status']!,
    })),
  };
  const lr = runLogRank(noEv, { time: 'time', status: 'status', group: 'arm' }) as {
    df: number;
    observed: number[];
    chisq: number;
  };
  assert.equal(lr.df, 2);
  assert.equal(lr.observed[2], 0);
  assert.ok(Number.isFinite(lr.chisq) && lr.chisq > 0);
});

test('km JSON has the issue shape; the CLI binary exits 2 with the column named on bad input', () => {
  const out = JSON.parse(
    JSON.stringify(runKm(veteran, { time: 'time', status: 'status', group: 'trt' }), jsonReplacer),
  ) as { strata: Record<string, unknown>[] };
  assert.deepEqual(
    Object.keys(out.strata[0]!).sort(),
    ['events', 'group', 'median', 'medianLower', 'medianUpper', 'n', 'table'].sort(),
  );
  assert.deepEqual(
    Object.keys((out.strata[0]!['table'] as object[])[0]!).sort(),
    ['lower', 'nCensor', 'nEvent', 'nRisk', 'stdErr', 'surv', 'time', 'upper'].sort(),
  );
  const bad = spawnSync(
    process.execPath,
    [
      '--import',
      'tsx',
      'src/cli/main.ts',
      'stats',
      'cox',
      '--data',
      fixture('veteran.csv'),
      '--formula',
      'Surv(time, status) ~ karnofsky',
      '--json',
    ],
    { encoding: 'utf8' },
  );
  assert.equal(bad.status, 2, bad.stderr);
  assert.match(bad.stderr, /karnofsky/);
});
