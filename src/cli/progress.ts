/**
 * Progress bars of the pipeline on stderr (cli-progress): scans done / total and the estimated time
 * left, drawn only when stderr is an interactive terminal (`progressEnabled`); nothing otherwise (the
 * commands print their final line or JSON on stdout).
 */
import { SingleBar, Presets } from 'cli-progress';
import type { PipelineProgress } from '../pipeline/prepare.js';
import { progressEnabled } from './shared.js';

/** A bar on stderr: `<name> [bar] value/total ETA <time left> <detail>`. */
function newBar(name: string): SingleBar {
  return new SingleBar(
    {
      format: `${name.padEnd(10)} [{bar}] {value}/{total} ETA {eta_formatted} {detail}`,
      stream: process.stderr,
      hideCursor: true,
      etaBuffer: 20,
    },
    Presets.shades_classic,
  );
}

/** A progress reporter drawing bars on stderr when interactive and `wanted` (false for --json), silent otherwise. */
export function terminalProgress(wanted = true): PipelineProgress {
  if (!wanted || !progressEnabled()) {
    return { stage: () => undefined, tick: () => undefined, done: () => undefined };
  }
  let bar: SingleBar | null = null;
  return {
    stage(name, total) {
      bar?.stop();
      bar = newBar(name);
      bar.start(total, 0, { detail: '' });
    },
    tick(detail) {
      bar?.increment(1, { detail: detail ?? '' });
    },
    done() {
      bar?.stop();
      bar = null;
    },
  };
}

/**
 * A bar of scans done out of a total that is polled (`carto jobs --watch`): `update(done, total,
 * detail)` redraws it; `stop()` ends it. Silent when stderr is not an interactive terminal.
 */
export function pollingBar(
  name: string,
  wanted = true,
): {
  update(done: number, total: number, detail: string): void;
  stop(): void;
} {
  if (!wanted || !progressEnabled()) return { update: () => undefined, stop: () => undefined };
  const bar = newBar(name);
  let started = false;
  return {
    update(done, total, detail) {
      if (!started) {
        bar.start(total, done, { detail });
        started = true;
      } else {
        bar.setTotal(total);
        bar.update(done, { detail });
      }
    },
    stop() {
      if (started) bar.stop();
    },
  };
}
