/**
 * `carto worker`: take scan quantification jobs from PostgreSQL until SIGTERM or SIGINT, then stop
 * gracefully (src/pipeline/queue.ts; docs/deployment.md).
 */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { runWorker } from '../../pipeline/queue.js';
import { intOption } from '../options.js';
import { pacsOption } from './pacs.js';

export function register(program: Command): void {
  program
    .command('worker')
    .description(
      'Take scan quantification jobs (enqueued by `carto submit`) until stopped. SIGTERM or SIGINT stops\n' +
        'it gracefully: the jobs in hand are finished (within 30 s) or given back. A job held by a worker\n' +
        'that died is retaken by another within about 45 s; a failing job is retried with back-off (3\n' +
        'times) and then stays failed with its error (`carto jobs`). The worker that stores the last scan\n' +
        'of a study runs its analysis and records it in the database (docs/deployment.md).',
    )
    .requiredOption('--db <url>', 'PostgreSQL database: postgres://user@host:port/db')
    .option(
      '--concurrency <n>',
      'jobs taken at once, each on its own thread (default 1)',
      intOption('--concurrency', { min: 1, max: 256 }),
    )
    .option(
      '--data-root <dir>',
      'folder the recorded bundle paths are resolved against (default: the bundle folder as at submit)',
    )
    .option('--pacs <url>', 'DICOMweb server of dicomweb: scans (overrides the recorded one)', pacsOption())
    .option(
      '--job-expiry <s>',
      'seconds after which a job not completed is presumed lost and retaken (default 30; longer than a scan takes)',
      intOption('--job-expiry', { min: 1, max: 86_400 }),
    )
    .option(
      '--images <dir>',
      "folder of the viewer's images the jobs write (the one `carto serve --images` reads)",
    )
    .option('--quiet', 'no line per job on stderr')
    .addHelpText(
      'after',
      '\nExample:\n  carto worker --db postgres://carto@db.example/carto --data-root /mnt/trials --concurrency 2',
    )
    .action(
      async (opts: {
        db: string;
        concurrency?: number;
        dataRoot?: string;
        pacs?: string;
        quiet?: boolean;
        jobExpiry?: number;
        images?: string;
      }) => {
        const stop = new AbortController();
        const onSignal = (): void => stop.abort();
        process.once('SIGTERM', onSignal);
        process.once('SIGINT', onSignal);
        try {
          await runWorker(opts.db, {
            signal: stop.signal,
            ...(opts.concurrency !== undefined ? { concurrency: opts.concurrency } : {}),
            ...(opts.dataRoot !== undefined ? { dataRoot: resolve(opts.dataRoot) } : {}),
            ...(opts.pacs !== undefined ? { pacsUrl: opts.pacs } : {}),
            ...(opts.jobExpiry !== undefined ? { expireInSeconds: opts.jobExpiry } : {}),
            ...(opts.images !== undefined ? { viewerImages: resolve(opts.images) } : {}),
            ...(opts.quiet
              ? {}
              : { onJob: (e) => process.stderr.write(`${e.study}/${e.scan}: ${e.outcome}\n`) }),
          });
        } finally {
          process.off('SIGTERM', onSignal);
          process.off('SIGINT', onSignal);
        }
      },
    );
}
