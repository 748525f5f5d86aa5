/** Small helpers for benchmarks: timing and peak resident memory of this process. */
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
