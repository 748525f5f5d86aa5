/**
 * Synchronous fan-out of one computation over worker threads (`node:worker_threads`), for the
 * CPU-bound imaging kernels (global SUVpeak, Gaussian filter) whose callers are synchronous.
 *
 * Model: `runThreadsSync(moduleUrl, exportName, tasks)` calls `exportName(tasks[0])` on the calling
 * thread and `exportName(tasks[t])` for t ≥ 1 on fresh worker threads, then blocks (Atomics.wait) until
 * every worker has finished. Tasks are passed by structured clone: typed arrays backed by a
 * SharedArrayBuffer are shared, not copied — results are written into shared arrays by the tasks.
 * A task may call `barrier(task.sync)` (with a `SyncState` from `newSyncState`) to wait for all threads
 * between phases. A failing task (or a worker that cannot load the module) makes `runThreadsSync`
 * throw an Error with the worker's message.
 *
 * Module loading works from the build (dist/…/x.js) and from the TypeScript sources (x.ts under tsx):
 * for a `.ts` module the worker first registers tsx's loader (`tsx/esm/api`).
 *
 * Thread count: `threadCount` — the option, else the environment variable CARTO_THREADS, else
 * `os.availableParallelism()`; 1 means today's single-thread path.
 */
import { availableParallelism } from 'node:os';
import { MessageChannel, receiveMessageOnPort, Worker } from 'node:worker_threads';
import type { MessagePort } from 'node:worker_threads';

/** Volumes below this many voxels stay single-threaded by default (worker start-up would dominate). */
export const PARALLEL_MIN_VOXELS = 1 << 22;

/**
 * Number of threads to use for a job of `workItems` items (voxels).
 * @param requested explicit count (≥ 1): used as is, whatever the size.
 * @returns `requested`, else CARTO_THREADS, else `os.availableParallelism()` — the last two only when
 *   `workItems ≥ PARALLEL_MIN_VOXELS` (1 below it).
 * @throws RangeError for a requested count or CARTO_THREADS that is not a whole number ≥ 1.
 */
export function threadCount(workItems: number, requested?: number): number {
  if (requested !== undefined) {
    if (!Number.isInteger(requested) || requested < 1)
      throw new RangeError(`thread count must be a whole number ≥ 1, got ${requested}`);
    return requested;
  }
  if (workItems < PARALLEL_MIN_VOXELS) return 1;
  const env = process.env['CARTO_THREADS'];
  if (env !== undefined && env !== '') {
    const n = Number(env);
    if (!Number.isInteger(n) || n < 1)
      throw new RangeError(`CARTO_THREADS must be a whole number ≥ 1, got '${env}'`);
    return n;
  }
  return Math.max(1, availableParallelism());
}

/** True when the typed array's memory is a SharedArrayBuffer (visible to workers without a copy). */
export function isShared(a: ArrayBufferView): boolean {
  return typeof SharedArrayBuffer !== 'undefined' && a.buffer instanceof SharedArrayBuffer;
}

/** Shared state of a barrier for `threads` threads (pass it inside every task, and to `runThreadsSync`). */
export interface SyncState {
  /** [arrived count, generation, aborted (a thread failed)] */
  cells: Int32Array;
  threads: number;
}

/** A barrier for `threads` threads. */
export function newSyncState(threads: number): SyncState {
  return { cells: new Int32Array(new SharedArrayBuffer(12)), threads };
}

/**
 * Blocks until all `sync.threads` threads have called `barrier` (reusable: one call per phase).
 * @throws Error when another thread failed (so that no thread waits forever).
 */
export function barrier(sync: SyncState): void {
  const c = sync.cells;
  const gen = Atomics.load(c, 1);
  if (Atomics.add(c, 0, 1) + 1 === sync.threads) {
    Atomics.store(c, 0, 0);
    Atomics.add(c, 1, 1);
    Atomics.notify(c, 1);
  } else {
    while (Atomics.load(c, 1) === gen) {
      if (Atomics.load(c, 2) !== 0) throw new Error('another thread failed');
      Atomics.wait(c, 1, gen, 50);
    }
  }
}

// Worker bootstrap (CommonJS, evaluated): loads tsx when asked, imports the module, runs the task,
// reports 1 (done) or 2 (failed, message on the port) in status[index].
const BOOTSTRAP = `
const { workerData } = require('node:worker_threads');
const { url, name, task, status, index, port, tsx, syncCells } = workerData;
(async () => {
  if (tsx) (await import(tsx)).register();
  const m = await import(url);
  await m[name](task);
})().then(
  () => { Atomics.store(status, index, 1); Atomics.notify(status, index); },
  (e) => {
    port.postMessage(String((e && e.stack) || e));
    if (syncCells) Atomics.store(syncCells, 2, 1);
    Atomics.store(status, index, 2);
    Atomics.notify(status, index);
  },
);
`;

let tsxUrl: string | null | undefined;
function tsxLoaderUrl(moduleUrl: string): string | null {
  if (!moduleUrl.endsWith('.ts')) return null;
  tsxUrl ??= import.meta.resolve('tsx/esm/api');
  return tsxUrl;
}

/**
 * Runs `fn(tasks[0])` here and the export `exportName` of `moduleUrl` on `tasks[1..]` in worker
 * threads; returns when all have finished.
 *
 * @param moduleUrl URL of the module holding the task function (usually `import.meta.url`).
 * @param exportName name of the exported task function; `fn` must be that same function.
 * @param tasks one structured-clonable task per thread (typed arrays on SharedArrayBuffers are shared).
 * @param sync the barrier state the tasks use, if any (released with an error when a thread fails).
 * @throws Error when a task throws (here or in a worker), naming the worker's error.
 */
export function runThreadsSync<T>(
  moduleUrl: string,
  exportName: string,
  fn: (task: T) => void,
  tasks: T[],
  sync?: SyncState,
): void {
  const nw = tasks.length - 1;
  if (nw <= 0) {
    if (tasks.length === 1) fn(tasks[0]!);
    return;
  }
  const status = new Int32Array(new SharedArrayBuffer(4 * nw));
  const tsx = tsxLoaderUrl(moduleUrl);
  const workers: Worker[] = [];
  const ports: MessagePort[] = [];
  try {
    for (let w = 0; w < nw; w++) {
      const { port1, port2 } = new MessageChannel();
      ports.push(port1);
      workers.push(
        new Worker(BOOTSTRAP, {
          eval: true,
          workerData: {
            url: moduleUrl,
            name: exportName,
            task: tasks[w + 1],
            status,
            index: w,
            port: port2,
            tsx,
            syncCells: sync?.cells,
          },
          transferList: [port2],
        }),
      );
    }
    let ownError: Error | null = null;
    try {
      fn(tasks[0]!);
    } catch (e) {
      ownError = e instanceof Error ? e : new Error(String(e));
      if (sync) Atomics.store(sync.cells, 2, 1);
    }
    for (let w = 0; w < nw; w++) Atomics.wait(status, w, 0);
    // A worker's own error first: the calling thread's may only be "another thread failed".
    for (let w = 0; w < nw; w++) {
      if (status[w] === 2) {
        const msg = receiveMessageOnPort(ports[w]!)?.message as string | undefined;
        throw new Error(`worker thread ${w + 1} failed: ${msg ?? 'unknown error'}`);
      }
    }
    if (ownError !== null) throw ownError;
  } finally {
    for (const w of workers) void w.terminate();
    for (const p of ports) p.close();
  }
}

/** Splits [0, n) into `parts` contiguous ranges of near-equal length: [start, end) per part. */
export function splitRange(n: number, parts: number): [number, number][] {
  const out: [number, number][] = [];
  for (let p = 0; p < parts; p++) out.push([Math.floor((n * p) / parts), Math.floor((n * (p + 1)) / parts)]);
  return out;
}
