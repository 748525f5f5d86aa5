/**
 * Prints the recovery rates of the virtual lab experiment over seeds 1…N (default 20):
 *   node --import tsx test/lab/recovery-rates.ts [N]
 */
import { recoveryOfSeed, recoveryRates } from './recovery.js';

const n = Number(process.argv[2] ?? 20);
const rows = [];
for (let seed = 1; seed <= n; seed++) rows.push(...recoveryOfSeed(seed));
const r = recoveryRates(rows);
process.stdout.write(
  `seeds 1–${n}: planted differences found ${r.planted.found}/${r.planted.total} ` +
    `(${((100 * r.planted.found) / r.planted.total).toFixed(1)} %), nulls not significant at 5 % ` +
    `${r.nulls.kept}/${r.nulls.total} (${((100 * r.nulls.kept) / r.nulls.total).toFixed(1)} %)\n` +
    `${JSON.stringify(r.perReadout, null, 2)}\n`,
);
