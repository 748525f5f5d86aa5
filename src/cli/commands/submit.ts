/**
 * `carto submit`: validate a study bundle, store its tables and enqueue one quantification job per scan
 * on PostgreSQL, and return at once (src/pipeline/queue.ts; docs/deployment.md).
 */
import type { Command } from 'commander';
import { submitBundle } from '../../pipeline/queue.js';
import { displayTarget } from '../../store/db.js';
import { printJson } from '../shared.js';
import { pacsOption } from './pacs.js';

export function register(program: Command): void {
  program
    .command('submit')
    .description(
      'Validate a study bundle, store its tables in PostgreSQL and enqueue one quantification job per\n' +
        'scan for `carto worker`s; returns at once. A scan whose job (its content, the quantification\n' +
        'settings, the code version) is already stored is not enqueued again; `carto jobs` shows progress.',
    )
    .argument('<bundle>', 'study bundle folder (study.json + CSV tables)')
    .requiredOption('--db <url>', 'PostgreSQL database: postgres://user@host:port/db (docs/deployment.md)')
    .option(
      '--pacs <url>',
      'DICOMweb server of the dicomweb: scans (overrides study.json pacs.url)',
      pacsOption(),
    )
    .option('--json', 'print {study, enqueued, skipped} as JSON')
    .addHelpText('after', '\nExample:\n  carto submit trial-003 --db postgres://carto@db.example:5432/carto')
    .action(async (bundle: string, opts: { db: string; pacs?: string; json?: boolean }) => {
      const r = await submitBundle(bundle, opts.db, opts.pacs !== undefined ? { pacsUrl: opts.pacs } : {});
      if (opts.json) printJson(r);
      else
        process.stdout.write(
          `study:    ${r.study}\nenqueued: ${r.enqueued} scans\nskipped:  ${r.skipped} scans (same job already stored)\n` +
            `database: ${displayTarget(opts.db)}\n`,
        );
    });
}
