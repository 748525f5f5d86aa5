/** Small helpers for benchmarks: timing and peak resident memory of this process. */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { resourceUsage } from 'node:process';

/** Runs `fn` once and returns its wall time in seconds with its result. */
export async function timeIt<T>(fn: () => T | Promise<T>): Promise<{ seconds: number; result: T }> {
  const t0 = performance.now();
  const result = await fn();
  return { seconds: (performance.now() - t0) / 1000, result };
}

/** Peak resident set size of this process so far, in MiB (getrusage maxrss). */
export function peakRssMiB(): number {
  return resourceUsage().maxRSS / 1024;
}

/** Prints one benchmark figure line: `name: 1.234 s, peak RSS 456 MiB`. */
export function report(name: string, seconds: number, extra = ''): void {
  console.log(
    `${name}: ${seconds.toFixed(3)} s, peak RSS ${peakRssMiB().toFixed(0)} MiB${extra ? `, ${extra}` : ''}`,
  );
}

/** Wall time, peak resident memory and output of one spawned process (a whole command as users run it). */
export interface ProcessFigures {
  seconds: number;
  /** Peak RSS of the process in MiB (GNU time's %M), NaN when /usr/bin/time is not installed. */
  maxRssMiB: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `cmd args` to completion under GNU `/usr/bin/time` (for its peak RSS) when installed; throws
 * with the process's stderr when it fails.
 */
export function runProcess(cmd: string, args: string[], cwd?: string): ProcessFigures {
  const dir = mkdtempSync(join(tmpdir(), 'carto-bench-time-'));
  try {
    const out = join(dir, 'time.txt');
    const gnuTime = existsSync('/usr/bin/time');
    const [c, a] = gnuTime ? ['/usr/bin/time', ['-f', '%M', '-o', out, cmd, ...args]] : [cmd, args];
    const t0 = performance.now();
    const r = spawnSync(c, a, { encoding: 'utf8', maxBuffer: 1 << 30, ...(cwd ? { cwd } : {}) });
    const seconds = (performance.now() - t0) / 1000;
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: exit ${r.status}\n${r.stderr}`);
    const kb = gnuTime ? Number(readFileSync(out, 'utf8').trim().split('\n').pop()) : NaN;
    return { seconds, maxRssMiB: kb / 1024, stdout: r.stdout, stderr: r.stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Median of a non-empty list. */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** The load averages of the machine (1, 5, 15 min), printed beside figures measured on a shared machine. */
export function loadAverage(): string {
  return loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');
}
