/**
 * Levenberg–Marquardt vs the NIST StRD nonlinear regression problems (certified values, public domain):
 * both certified starting points of all nine problems in shared/data/assays/curve-fitting/nist-strd must
 * reach the certified parameters and residual sum of squares to 6 significant digits (the issue's
 * criterion; relative tolerance 1e-6), and the certified standard deviations to 1e-4 (they are derived
 * quantities: σ²(JᵀJ)⁻¹).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { inverseNormalMatrix, levenbergMarquardt, type NlsProblem } from '../../src/stats/nls/lm.js';
import { assertClose } from '../helpers/assert-close.js';
import { sharedData } from '../helpers/shared-data.js';

interface Dat {
  starts: [number[], number[]];
  certified: number[];
  sd: number[];
  rss: number;
  x: number[];
  y: number[];
}

function readDat(name: string): Dat {
  const lines = readFileSync(sharedData('assays', 'curve-fitting', 'nist-strd', `${name}.dat`), 'utf8').split(
    /\r?\n/,
  );
  const s1: number[] = [];
  const s2: number[] = [];
  const cert: number[] = [];
  const sd: number[] = [];
  let rss = NaN;
  const x: number[] = [];
  const y: number[] = [];
  let inData = false;
  let yFirst = true;
  for (const line of lines) {
    const m = /^\s*b\d+\s*=\s*(\S+)\s+(\S+)\s+(\S+)\s+(\S+)/.exec(line);
    if (m) {
      s1.push(Number(m[1]));
      s2.push(Number(m[2]));
      cert.push(Number(m[3]));
      sd.push(Number(m[4]));
      continue;
    }
    const rm = /^Residual Sum of Squares:\s+(\S+)/.exec(line);
    if (rm) rss = Number(rm[1]);
    const dm = /^Data:\s+(\w+)\s+(\w+)\s*$/.exec(line);
    if (dm) {
      inData = true;
      yFirst = dm[1] === 'y';
      continue;
    }
    if (inData && line.trim() !== '') {
      const [a, b] = line.trim().split(/\s+/).map(Number);
      x.push(yFirst ? b! : a!);
      y.push(yFirst ? a! : b!);
    }
  }
  return { starts: [s1, s2], certified: cert, sd, rss, x, y };
}

/** Model f(x; b) and gradient ∂f/∂b. */
type Model = (x: number, b: Float64Array, grad: Float64Array | null) => number;

const models: Record<string, Model> = {
  Misra1a: (x, b, g) => {
    const e = Math.exp(-b[1]! * x);
    if (g) {
      g[0] = 1 - e;
      g[1] = b[0]! * x * e;
    }
    return b[0]! * (1 - e);
  },
  BoxBOD: (x, b, g) => models['Misra1a']!(x, b, g),
  Chwirut2: (x, b, g) => {
    const e = Math.exp(-b[0]! * x);
    const d = b[1]! + b[2]! * x;
    if (g) {
      g[0] = (-x * e) / d;
      g[1] = -e / (d * d);
      g[2] = (-x * e) / (d * d);
    }
    return e / d;
  },
  DanWood: (x, b, g) => {
    const v = x ** b[1]!;
    if (g) {
      g[0] = v;
      g[1] = b[0]! * v * Math.log(x);
    }
    return b[0]! * v;
  },
  MGH09: (x, b, g) => {
    const num = x * x + x * b[1]!;
    const den = x * x + x * b[2]! + b[3]!;
    if (g) {
      g[0] = num / den;
      g[1] = (b[0]! * x) / den;
      g[2] = (-b[0]! * num * x) / (den * den);
      g[3] = (-b[0]! * num) / (den * den);
    }
    return (b[0]! * num) / den;
  },
  Thurber: (x, b, g) => {
    const x2 = x * x;
    const x3 = x2 * x;
    const num = b[0]! + b[1]! * x + b[2]! * x2 + b[3]! * x3;
    const den = 1 + b[4]! * x + b[5]! * x2 + b[6]! * x3;
    if (g) {
      g[0] = 1 / den;
      g[1] = x / den;
      g[2] = x2 / den;
      g[3] = x3 / den;
      const q = -num / (den * den);
      g[4] = q * x;
      g[5] = q * x2;
      g[6] = q * x3;
    }
    return num / den;
  },
  Rat42: (x, b, g) => {
    const e = Math.exp(b[1]! - b[2]! * x);
    const d = 1 + e;
    if (g) {
      g[0] = 1 / d;
      g[1] = (-b[0]! * e) / (d * d);
      g[2] = (b[0]! * x * e) / (d * d);
    }
    return b[0]! / d;
  },
  Rat43: (x, b, g) => {
    const e = Math.exp(b[1]! - b[2]! * x);
    const d = 1 + e;
    const pw = d ** (-1 / b[3]!);
    if (g) {
      g[0] = pw;
      g[1] = (-b[0]! / b[3]!) * pw * (e / d);
      g[2] = (b[0]! / b[3]!) * pw * ((x * e) / d);
      g[3] = (b[0]! * pw * Math.log(d)) / b[3]! / b[3]!;
    }
    return b[0]! * pw;
  },
  Eckerle4: (x, b, g) => {
    const z = (x - b[2]!) / b[1]!;
    const e = Math.exp(-0.5 * z * z);
    const f = (b[0]! / b[1]!) * e;
    if (g) {
      g[0] = e / b[1]!;
      g[1] = -f / b[1]! + (f * (z * z)) / b[1]!;
      g[2] = (f * z) / b[1]!;
    }
    return f;
  },
};

function problem(model: Model, d: Dat): NlsProblem {
  const p = d.certified.length;
  const g = new Float64Array(p);
  return {
    nParams: p,
    nResiduals: d.x.length,
    residuals: (b, out) => d.x.forEach((x, i) => (out[i] = d.y[i]! - model(x, b, null))),
    jacobian: (b, out) =>
      d.x.forEach((x, i) => {
        model(x, b, g);
        for (let j = 0; j < p; j++) out[i * p + j] = -g[j]!;
      }),
  };
}

describe('NIST StRD nonlinear least squares (certified values, 6 significant digits)', () => {
  for (const name of Object.keys(models)) {
    for (const s of [0, 1] as const) {
      it(`${name} from start ${s + 1}`, () => {
        const d = readDat(name);
        const prob = problem(models[name]!, d);
        const fit = levenbergMarquardt(prob, d.starts[s]);
        assert.ok(
          fit.converged,
          `${name} start ${s + 1} did not converge (${fit.reason}, ${fit.iterations} it)`,
        );
        fit.params.forEach((v, j) => assertClose(v, d.certified[j]!, 1e-6, `${name} b${j + 1}`));
        assertClose(fit.sse, d.rss, 1e-6, `${name} RSS`);
        const n = d.x.length;
        const p = d.certified.length;
        const J = new Float64Array(n * p);
        prob.jacobian(Float64Array.from(fit.params), J);
        const cov = inverseNormalMatrix(J, n, p);
        const s2 = fit.sse / (n - p);
        d.sd.forEach((sd, j) => assertClose(Math.sqrt(s2 * cov[j]![j]!), sd, 1e-4, `${name} sd b${j + 1}`));
      });
    }
  }
});
