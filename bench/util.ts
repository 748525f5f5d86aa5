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

/** Wall time, CPU time, peak resident memory, exit code and output of one spawned process. */
export interface MeasuredProcess {
  /** Wall time in seconds, measured here around the spawn. */
  seconds: number;
  /** Peak RSS of the process in MiB (GNU time's %M), NaN when /usr/bin/time is not installed. */
  peakRssMiB: number;
  /** User + system CPU seconds of the process (GNU time's %U + %S), NaN without /usr/bin/time. */
  cpuSeconds: number;
  /** Exit code; null when the process was killed by a signal. */
  status: number | null;
  stdout: string;
  /** The process's own stderr (GNU time writes its figures to a file, not here). */
  stderr: string;
}

/**
 * Runs `cmd args` to completion (a whole command as users run it) under GNU `/usr/bin/time` when
 * installed, which writes the peak RSS and CPU times to a temp file. Does not throw on a non-zero exit:
 * the caller reads `status`. Options: `env` (default: this process's), `cwd`, `maxBufferBytes` for
 * stdout/stderr (default 1 GiB).
 */
export function spawnMeasured(
  cmd: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string; maxBufferBytes?: number } = {},
): MeasuredProcess {
  const dir = mkdtempSync(join(tmpdir(), 'carto-bench-time-'));
  try {
    const out = join(dir, 'time.txt');
    const gnuTime = existsSync('/usr/bin/time');
    const [c, a] = gnuTime
      ? ['/usr/bin/time', ['-f', 'carto-bench-time %M %U %S', '-o', out, cmd, ...args]]
      : [cmd, args];
    const t0 = performance.now();
    const r = spawnSync(c, a, {
      encoding: 'utf8',
      maxBuffer: options.maxBufferBytes ?? 1 << 30,
      ...(options.env ? { env: options.env } : {}),
      ...(options.cwd ? { cwd: options.cwd } : {}),
    });
    const seconds = (performance.now() - t0) / 1000;
    if (r.error) throw new Error(`${cmd} ${args.join(' ')}: ${r.error.message}`);
    // GNU time writes "Command exited with non-zero status N" before its line when the command fails.
    const m = gnuTime ? /carto-bench-time (\d+) ([\d.]+) ([\d.]+)/.exec(readFileSync(out, 'utf8')) : null;
    return {
      seconds,
      peakRssMiB: m ? Number(m[1]) / 1024 : NaN,
      cpuSeconds: m ? Number(m[2]) + Number(m[3]) : NaN,
      status: r.status,
      stdout: r.stdout,
      stderr: r.stderr,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Wall time, peak resident memory and output of one spawned process that succeeded. */
export interface ProcessFigures {
  seconds: number;
  /** Peak RSS of the process in MiB (GNU time's %M), NaN when /usr/bin/time is not installed. */
  maxRssMiB: number;
  stdout: string;
  stderr: string;
}

/** {@link spawnMeasured} that throws with the process's stderr when it exits non-zero. */
export function runProcess(cmd: string, args: string[], cwd?: string): ProcessFigures {
  const r = spawnMeasured(cmd, args, cwd ? { cwd } : {});
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: exit ${r.status}\n${r.stderr}`);
  return { seconds: r.seconds, maxRssMiB: r.peakRssMiB, stdout: r.stdout, stderr: r.stderr };
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
