/**
 * Exact (Clopper–Pearson) confidence interval of a binomial proportion, as R's `binom.test(x, n)`
 * reports it (docs/references/statistics.md §14). Pure computation, no I/O.
 */
import { InputError } from '../errors.js';
import { betaQuantile } from './distributions.js';

/** A proportion x/n with its exact confidence interval. */
export interface BinomialCi {
  /** Number of successes. */
  x: number;
  /** Number of trials. */
  n: number;
  /** x / n. */
  estimate: number;
  lower: number;
  upper: number;
  /** Confidence level of [lower, upper]. */
  level: number;
  method: 'clopper-pearson';
}

/**
 * Clopper–Pearson interval: lower = qbeta(α/2, x, n − x + 1) (0 when x = 0), upper =
 * qbeta(1 − α/2, x + 1, n − x) (1 when x = n), α = 1 − level — R `binom.test(x, n, conf.level)$conf.int`.
 *
 * @param x successes, an integer in 0…n
 * @param n trials, an integer ≥ 1
 * @param level confidence level in (0, 1); default 0.95
 * @throws InputError when x or n is not such an integer or level is outside (0, 1)
 * Source: Clopper CJ & Pearson ES, Biometrika 1934;26:404; R `stats::binom.test`.
 */
export function clopperPearson(x: number, n: number, level = 0.95): BinomialCi {
  if (!Number.isInteger(n) || n < 1)
    throw new InputError('n must be an integer ≥ 1', { field: 'n', value: n });
  if (!Number.isInteger(x) || x < 0 || x > n)
    throw new InputError(`x must be an integer in 0…${n}`, { field: 'x', value: x });
  if (!(level > 0 && level < 1))
    throw new InputError('level must lie in (0, 1)', { field: 'level', value: level });
  const alpha = (1 - level) / 2;
  return {
    x,
    n,
    estimate: x / n,
    lower: x === 0 ? 0 : betaQuantile(alpha, x, n - x + 1),
    upper: x === n ? 1 : betaQuantile(1 - alpha, x + 1, n - x),
    level,
    method: 'clopper-pearson',
  };
}
