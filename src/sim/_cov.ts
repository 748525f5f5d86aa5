import { simulateTrial, SIM_MODEL } from './trial.js';
if (process.env.DMIN) SIM_MODEL.lesion.diameterMinCm = Number(process.env.DMIN);
const SEEDS = process.env.SEEDS ? process.env.SEEDS.split(',').map(Number) : null;
import { quantifyLabelMap } from '../imaging/voi-stats.js';
import { pvcFit } from '../stats/pvc.js';
import { coxphFirth } from '../stats/survival/firth.js';
import { tQuantileDf } from '../stats/distributions.js';
const [from, to] = process.argv.slice(2).map(Number) as [number, number];
const cover: Record<string, number[]> = { d2: [], d4: [], d5: [], d7: [], hr: [] };
for (const seed of SEEDS ?? Array.from({ length: to - from + 1 }, (_, i) => from + i)) {
  const t = simulateTrial({ seed, patients: 23 });
  const ebv = new Set(t.patients.filter((p) => p.histology === 'EBV+ DLBCL').map((p) => p.patientId));
  const rt = new Set(t.patients.filter((p) => p.bridging === 'radiotherapy' || p.bridging === 'combination').map((p) => p.patientId));
  const rows: { pid: string; lid: string; tp: string; peak: number; vol: number }[] = [];
  for (const s of t.scans) {
    if (ebv.has(s.patientId)) continue;
    const img = t.render(s.scanId);
    const les = t.truth.lesions.filter((l) => l.patientId === s.patientId);
    const st = quantifyLabelMap(img.suv, img.lesionLabels, les.map((l) => l.maskLabel));
    les.forEach((l, i) => rows.push({ pid: s.patientId, lid: l.lesionId, tp: s.timepoint, peak: st[i]!.suvPeakGlobal, vol: st[i]!.volumeMl }));
  }
  const fit = pvcFit(rows.map((r) => r.peak), rows.map((r) => r.vol), { knotsFrom: rows.map((r) => r.tp === 'pre' && !rt.has(r.pid)) });
  const lc = rows.map((_, i) => Math.log(fit.corrected[i]!));
  const preIdx = new Map<string, number>();
  rows.forEach((r, i) => { if (r.tp === 'pre') preIdx.set(r.lid, i); });
  const out: string[] = [`seed ${seed}`];
  for (const tp of ['d2', 'd4', 'd5', 'd7'] as const) {
    const byPat = new Map<string, number[]>();
    rows.forEach((r, i) => { if (r.tp === tp) (byPat.get(r.pid) ?? byPat.set(r.pid, []).get(r.pid)!).push(lc[i]! - lc[preIdx.get(r.lid)!]!); });
    const m = [...byPat.values()].map((a) => a.reduce((x, y) => x + y, 0) / a.length);
    const n = m.length; const mean = m.reduce((a, b) => a + b, 0) / n;
    const sd = Math.sqrt(m.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1));
    const h = tQuantileDf(0.975, n - 1) * sd / Math.sqrt(n);
    const truth = Math.log(t.truth.preToPostGmRatio[tp]);
    const ok = Math.abs(mean - truth) <= h;
    cover[tp]!.push(ok ? 1 : 0);
    out.push(`${tp} ${Math.exp(mean).toFixed(3)} [${Math.exp(mean - h).toFixed(3)}, ${Math.exp(mean + h).toFixed(3)}] ${ok ? 'ok' : 'MISS'}`);
  }
  const pats = t.truth.patients.filter((p) => !ebv.has(p.patientId));
  const x = pats.map((p) => { const idx = rows.map((r, i) => [r, i] as const).filter(([r]) => r.pid === p.patientId && r.tp === 'pre').map(([, i]) => lc[i]!); return idx.reduce((a, b) => a + b, 0) / idx.length; });
  const f = coxphFirth(pats.map((p) => p.ttp.days), pats.map((p) => (p.ttp.event ? 1 : 0)), { names: ['x'], columns: [x] });
  const c = f.coefficients[0]!;
  const ok = c.lower <= -1.5 && -1.5 <= c.upper;
  cover['hr']!.push(ok ? 1 : 0);
  out.push(`logHR ${c.estimate.toFixed(2)} [${c.lower.toFixed(2)}, ${c.upper.toFixed(2)}] events ${pats.filter((p) => p.ttp.event).length} ${ok ? 'ok' : 'MISS'}`);
  console.log(out.join(' | '));
}
console.log(Object.entries(cover).map(([k, v]) => `${k}: ${v.reduce((a, b) => a + b, 0)}/${v.length}`).join('  '));
