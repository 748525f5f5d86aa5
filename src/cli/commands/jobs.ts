/**
 * `carto jobs`: the state of the scans' quantification jobs (pending, running, done, failed, and each
 * failure's error), once or watched with a progress bar; `--analyse` runs the analysis on demand on
 * what is done, saying what is missing (src/pipeline/job-store.ts, analyse.ts).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { analyseStoredStudy } from '../../pipeline/analyse.js';
import { jobSummary, type JobSummary } from '../../pipeline/job-store.js';
import { reconcileLostJobs } from '../../pipeline/queue.js';
import { isPostgresUrl } from '../../store/db.js';
import { openStudyStore, type StudyStore } from '../../study/store.js';
import { InputError } from '../../errors.js';
import { printJson } from '../shared.js';
import { databaseOption, numberOption } from '../options.js';
import { pollingBar, terminalProgress } from '../progress.js';

/** The summary as text lines. */
function summaryText(s: JobSummary): string {
  const c = s.scans;
  return (
    `scans: ${c.pending} pending, ${c.running} running, ${c.done} done, ${c.failed} failed\n` +
    s.failures.map((f) => `failed ${f.scan}: ${f.error}\n`).join('')
  );
}

/**
 * The summary; on PostgreSQL first marking failed the jobs pg-boss gave up on while our store says
 * running (their worker lost on the last attempt; queue.ts `reconcileLostJobs`).
 */
async function summary(db: StudyStore, study: string | undefined, postgres: boolean): Promise<JobSummary> {
  if (postgres) await reconcileLostJobs(db);
  return jobSummary(db, study);
}

/** Polls the summary every `intervalS` seconds, drawing a bar, until no scan is pending or running. */
async function watch(
  db: StudyStore,
  study: string | undefined,
  postgres: boolean,
  intervalS: number,
  bar: ReturnType<typeof pollingBar>,
): Promise<JobSummary> {
  try {
    for (;;) {
      const s = await summary(db, study, postgres);
      const c = s.scans;
      const total = c.pending + c.running + c.done + c.failed;
      bar.update(c.done + c.failed, total, `${c.running} running, ${c.failed} failed`);
      if (c.pending + c.running === 0) return s;
      await new Promise((r) => setTimeout(r, intervalS * 1000));
    }
  } finally {
    bar.stop();
  }
}

export function register(program: Command): void {
  program
    .command('jobs')
    .description(
      "Show the scans' quantification jobs: how many are pending, running, done and failed, and each\n" +
        'failed scan with its error. --watch redraws a progress bar (scans done / total, time left) until\n' +
        "none is pending or running. --analyse runs the study's analysis on what is done now and records\n" +
        'it (the report says which scans are missing).',
    )
    .requiredOption('--db <target>', 'database: postgres:// URL (or SQLite file)', databaseOption())
    .option('--study <name>', 'one study (default: every study; failures then name study/scan)')
    .option('--watch', 'poll until no scan is pending or running, with a progress bar on stderr')
    .option(
      '--interval <s>',
      'seconds between polls of --watch',
      numberOption('--interval', { min: 0.2, max: 3600 }),
      2,
    )
    .option('--analyse', 'analyse the study (--study) on what is done now, and record the run')
    .option('--json', 'print {"scans": {pending, running, done, failed}, "failures": [{scan, error}]}')
    .action(
      async (opts: {
        db: string;
        study?: string;
        watch?: boolean;
        interval: number;
        analyse?: boolean;
        json?: boolean;
      }) => {
        if (opts.analyse && opts.study === undefined)
          throw new InputError('--analyse needs --study', { field: '--analyse' });
        const db = await openStudyStore(opts.db);
        try {
          const s = opts.watch
            ? await watch(
                db,
                opts.study,
                isPostgresUrl(opts.db),
                opts.interval,
                pollingBar('scans', !opts.json),
              )
            : await summary(db, opts.study, isPostgresUrl(opts.db));
          if (opts.analyse) {
            const dir = mkdtempSync(join(tmpdir(), 'carto-analysis-'));
            try {
              const a = await analyseStoredStudy(db, opts.study!, dir, terminalProgress(!opts.json));
              for (const m of a.missing)
                process.stderr.write(
                  `warning: scan ${m.scanId} is ${m.state}${m.error ? ` (${m.error})` : ''}: left out of the analysis\n`,
                );
              if (!opts.json)
                process.stdout.write(`analysis run: ${a.runId} (${a.missing.length} scans missing)\n`);
            } finally {
              rmSync(dir, { recursive: true, force: true });
            }
          }
          if (opts.json) printJson(s);
          else process.stdout.write(summaryText(s));
        } finally {
          await db.destroy();
        }
      },
    );
}
