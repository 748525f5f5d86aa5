/**
 * The in-process pool of `carto run`/`carto import` (issue 17): the scans' jobs (`runScanJob`,
 * scan-job.ts — the same function `carto worker` runs) on worker threads, one per core by default
 * (`os.availableParallelism()`), each thread taking the next scan when it is done with one. One scan or
 * one thread runs on the calling thread (no thread start-up). Module loading works from the build and
 * from the TypeScript sources (tsx registered in the thread, as src/parallel/pool.ts does).
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { CartoError, ComputationError, InputError, type ErrorLocation } from '../errors.js';
import { runScanJob, type ScanJobResult, type ScanJobSpec, type ViewerImagesTarget } from './scan-job.js';

/** A scan's job as the pool takes it. */
export interface PoolTask {
  spec: ScanJobSpec;
  /** The folder the job's relative paths are resolved against (the bundle folder). */
  root: string;
  pacsUrl?: string;
  /** Where the job writes the viewer's images of its scan (viewer-images.ts), when it should. */
  viewerImages?: ViewerImagesTarget;
}

// Worker bootstrap (CommonJS, evaluated): loads tsx when asked, imports scan-job, runs each task it is
// sent ({ spec, root, opts }: `runScanJob`'s arguments), answers { result } or { error } (name, message and location of a CartoError).
const BOOTSTRAP = `
const { parentPort, workerData } = require('node:worker_threads');
const ready = (async () => {
  if (workerData.tsx) (await import(workerData.tsx)).register();
  return import(workerData.url);
})();
parentPort.on('message', async (t) => {
  try {
    const m = await ready;
    const result = await m.runScanJob(t.spec, t.root, t.opts);
    parentPort.postMessage({ result });
  } catch (e) {
    parentPort.postMessage({
      error: { name: e && e.name, message: String((e && e.message) || e), location: e && e.location, stack: e && e.stack },
    });
  }
});
`;

/** `runScanJob`'s options of a task. */
function jobOptions(t: PoolTask): Parameters<typeof runScanJob>[2] {
  return {
    ...(t.pacsUrl !== undefined ? { pacsUrl: t.pacsUrl } : {}),
    ...(t.viewerImages !== undefined ? { viewerImages: t.viewerImages } : {}),
  };
}

/** An error sent back by a thread, rebuilt with its class (an InputError stays one: exit code 2). */
function rebuiltError(e: {
  name?: string;
  message: string;
  location?: ErrorLocation;
  stack?: string;
}): Error {
  const make =
    e.name === 'InputError'
      ? new InputError('')
      : e.name === 'ComputationError'
        ? new ComputationError('')
        : e.name === 'CartoError'
          ? new CartoError('')
          : new Error('');
  make.message = e.message;
  if (make instanceof CartoError) Object.assign(make, { location: e.location ?? {} });
  if (e.stack !== undefined) make.stack = e.stack;
  return make;
}

/** The thread count of the pool: `requested`, else `os.availableParallelism()`. */
export function poolSize(requested?: number): number {
  return requested ?? Math.max(1, availableParallelism());
}

/**
 * Runs every task's job, at most `concurrency` at a time, and returns the results in task order.
 * @param onDone called after each scan's job (for progress)
 * @param opts.inThread run even a single task on a worker thread (a `carto worker` taking several jobs)
 * @throws the error of the failing job first in task order (InputError kept as such), once the jobs
 *   in flight have ended (no job is started after a failure);
 *   no result is returned then
 */
export async function runScanPool(
  tasks: readonly PoolTask[],
  concurrency: number,
  onDone: (scanId: string) => void = () => undefined,
  opts: { inThread?: boolean } = {},
): Promise<ScanJobResult[]> {
  const threads = Math.max(Math.min(concurrency, tasks.length), opts.inThread ? 1 : 0);
  const results: ScanJobResult[] = new Array<ScanJobResult>(tasks.length);
  if (threads <= 1 && !opts.inThread) {
    for (const [i, t] of tasks.entries()) {
      results[i] = await runScanJob(t.spec, t.root, jobOptions(t));
      onDone(t.spec.scan.scanId);
    }
    return results;
  }
  const url = new URL('./scan-job' + (import.meta.url.endsWith('.ts') ? '.ts' : '.js'), import.meta.url).href;
  const tsx = url.endsWith('.ts') ? import.meta.resolve('tsx/esm/api') : null;
  let next = 0;
  const state: { failure: Error | null; index: number } = { failure: null, index: Infinity };
  const fail = (i: number, e: Error): void => {
    if (i < state.index) [state.failure, state.index] = [e, i];
  };
  const workers: Worker[] = [];
  const runThread = (w: Worker): Promise<void> =>
    new Promise((resolveThread) => {
      const take = (): void => {
        if (state.failure !== null || next >= tasks.length) return resolveThread();
        const i = next++;
        const t = tasks[i]!;
        w.once('message', (m: { result?: ScanJobResult; error?: Parameters<typeof rebuiltError>[0] }) => {
          if (m.error) fail(i, rebuiltError(m.error));
          else {
            results[i] = m.result!;
            onDone(t.spec.scan.scanId);
          }
          take();
        });
        w.postMessage({ spec: t.spec, root: t.root, opts: jobOptions(t) });
      };
      w.once('error', (e) => {
        fail(-1, e);
        resolveThread();
      });
      take();
    });
  try {
    for (let k = 0; k < threads; k++)
      workers.push(new Worker(BOOTSTRAP, { eval: true, workerData: { url, tsx } }));
    await Promise.all(workers.map(runThread));
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  if (state.failure !== null) throw state.failure;
  return results;
}
