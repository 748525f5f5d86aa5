/**
 * `carto import`, `carto run` and `carto demo`: the main job.
 */
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { importBundle, runStudy, REPORT_DB_NAME, type ImportOptions } from '../../pipeline/run.js';
import { terminalProgress } from '../progress.js';
import { printJson, formatTable } from '../shared.js';
import {
  DATABASE_HELP,
  IMAGES_HELP,
  imagesFolder,
  NO_IMAGES_HELP,
  databaseOption,
  databaseTarget,
  intOption,
  numberOption,
} from '../options.js';
import { writeSimulatedBundle } from '../simulated-bundle.js';
import { writeOutputFolder } from '../../io/output-folder.js';
import { pacsOption } from './pacs.js';
import { displayTarget, isPostgresUrl } from '../../store/db.js';
import { labDemo } from './lab.js';
import { demoServe, demoServeLines } from '../demo-serve.js';
import { InputError } from '../../errors.js';

/** Default database file of `carto import` (in the working folder; `.gitignore` keeps it out of git). */
/** What `--out` of run, demo and simulate accepts (src/io/output-folder.ts). */
const OUT_RULE =
  'a new or empty folder, or an earlier output of the same command (replaced once the new one is\n' +
  'complete); any other folder is refused (exit 2) and left untouched';

/** Help of `--pacs` (run, import). */
const PACS_HELP = 'DICOMweb server of the dicomweb: scans (overrides study.json pacs.url; docs/pacs.md)';

/** The pipeline's options (`ImportOptions`) from `--pacs`, `--concurrency` and `--images`. */
function pacsOpts(opts: { pacs?: string; concurrency?: number; images?: string | false }): ImportOptions {
  return {
    ...(opts.pacs !== undefined ? { pacsUrl: opts.pacs } : {}),
    ...(opts.concurrency !== undefined ? { concurrency: opts.concurrency } : {}),
    ...(opts.images !== undefined ? { viewerImages: imagesFolder(opts.images) } : {}),
  };
}

/** Help of `--concurrency` (run, import). */
const CONCURRENCY_HELP =
  'threads quantifying scans in parallel (default: one per core, os.availableParallelism())';

/** A `--db` value as the pipeline takes it: a SQLite path made absolute, a `postgres://` URL as given. */
function dbTarget(value: string): string {
  return isPostgresUrl(value) ? value : resolve(value);
}

/** Prints each warning on stderr (`warning: …`); the exit code stays 0. */
function printWarnings(warnings: string[]): void {
  for (const w of warnings) process.stderr.write(`warning: ${w}\n`);
}

export { terminalProgress } from '../progress.js';

function summaryLines(r: {
  studyName: string;
  status: string;
  patients: number;
  scans: number;
  vois: number;
}): string {
  return (
    `study:    ${r.studyName}\n` +
    `import:   ${r.status === 'unchanged' ? 'unchanged (same content already in the store)' : 'written'}\n` +
    `content:  ${r.patients} patients, ${r.scans} scans, ${r.vois} VOIs`
  );
}

export function register(program: Command): void {
  registerImport(program);
  registerRun(program);
  registerDemo(program);
}

function registerImport(program: Command): void {
  program
    .command('import')
    .description(
      'Import a study bundle (docs/study-bundle.md) into the database: validate every table, quantify\n' +
        'every VOI on every scan, and write it all in one transaction. On any error the database is\n' +
        'unchanged; importing the same bundle twice changes nothing. When the database holds registry\n' +
        'patients, study patients whose pseudonym matches none are reported (warning, exit 0).',
    )
    .argument('<bundle>', 'study bundle folder (study.json + CSV tables)')
    .option('--db <target>', DATABASE_HELP, databaseOption())
    .option('--pacs <url>', PACS_HELP, pacsOption())
    .option('--concurrency <n>', CONCURRENCY_HELP, intOption('--concurrency', { min: 1, max: 256 }))
    .option('--images <dir>', IMAGES_HELP)
    .option('--no-images', NO_IMAGES_HELP)
    .option('--json', 'print the result as JSON')
    .addHelpText('after', '\nExample:\n  carto import examples/sts-001 --db study.sqlite')
    .action(
      async (
        bundle: string,
        opts: { db?: string; pacs?: string; concurrency?: number; images?: string | false; json?: boolean },
      ) => {
        const db = dbTarget(databaseTarget(opts.db));
        const r = await importBundle(bundle, db, terminalProgress(!opts.json), pacsOpts(opts));
        printWarnings(r.warnings);
        if (opts.json) printJson({ ...r, db: displayTarget(db) });
        else process.stdout.write(`${summaryLines(r)}\ndatabase: ${displayTarget(db)}\n`);
      },
    );
}

function registerRun(program: Command): void {
  program
    .command('run')
    .description(
      'The main job: import a study bundle (see `carto import`), quantify every scan, run the analysis\n' +
        'plan and write the report: DIR/index.html (self-contained), DIR/results.json (every number,\n' +
        'unrounded), DIR/tables/*.csv and DIR/figures/*.svg; the run (results, tables, figures) is also\n' +
        'recorded in the database, for `carto serve`. Without --db the database is a fresh\n' +
        `DIR/${REPORT_DB_NAME}, written and replaced with the report.`,
    )
    .argument('<bundle>', 'study bundle folder')
    .option('--out <dir>', 'report folder', 'carto-report')
    .option(
      '--db <target>',
      `database kept across runs: SQLite file or postgres:// URL (default: DIR/${REPORT_DB_NAME})`,
      databaseOption(),
    )
    .option('--pacs <url>', PACS_HELP, pacsOption())
    .option('--concurrency <n>', CONCURRENCY_HELP, intOption('--concurrency', { min: 1, max: 256 }))
    .option('--images <dir>', IMAGES_HELP)
    .option('--no-images', NO_IMAGES_HELP)
    .option('--json', 'print a JSON summary (sections, timings) instead of text')
    .addHelpText(
      'after',
      `\n--out DIR: ${OUT_RULE}.\n\nExample:\n  carto run examples/sts-001 --out carto-sts-001`,
    )
    .action(
      async (
        bundle: string,
        opts: {
          out: string;
          db?: string;
          pacs?: string;
          concurrency?: number;
          images?: string;
          json?: boolean;
        },
      ) => {
        const db = opts.db !== undefined ? dbTarget(opts.db) : undefined;
        const r = await runStudy(bundle, opts.out, db, terminalProgress(!opts.json), pacsOpts(opts));
        printWarnings(r.warnings);
        if (opts.json) {
          const { dbFile, ...rest } = r;
          printJson({ ...rest, db: displayTarget(dbFile) });
          return;
        }
        process.stdout.write(
          `${summaryLines(r)}\nreport:   ${join(r.reportDir, 'index.html')}\ndatabase: ${displayTarget(r.dbFile)}\n\n` +
            formatTable(
              ['section', 'status', 'reason'],
              r.sections.map((s) => [s.id, s.status, s.reason ?? '']),
            ) +
            '\n\n' +
            formatTable(
              ['stage', 'seconds'],
              Object.entries(r.timings).map(([k, v]) => [k, v]),
            ) +
            '\n',
        );
      },
    );
}

function registerDemo(program: Command): void {
  program
    .command('demo')
    .description(
      'Simulate a virtual trial (see `carto simulate`) and run the main job on it: writes the bundle,\n' +
        'the store and the report under --out.',
    )
    .option('--out <dir>', `output folder: bundle/, ${REPORT_DB_NAME} and report/ inside`, 'carto-demo')
    .option('--seed <n>', 'random seed of the virtual trial', intOption('--seed'), 1)
    .option(
      '--patients <n>',
      'number of patients (3–200; the trial had 23)',
      intOption('--patients', { min: 3, max: 200 }),
    )
    .option(
      '--voxel-mm <mm>',
      'voxel size of the simulated PET in mm (2–12)',
      numberOption('--voxel-mm', { min: 2, max: 12 }),
    )
    .option('--no-fdg', 'leave out the FDG PET before lymphodepletion (and so the MATV analyses)')
    .option(
      '--lab',
      'the lab study instead: simulate an experiment (carto simulate-lab) and run carto lab on it\n' +
        '(bundle/ and report/ under --out)',
    )
    .option(
      '--serve',
      "also register the trial's patients (with their journeys) in the same database, then serve the\n" +
        'web app on 127.0.0.1 and print its URL and a demo login (random password, shown once)',
    )
    .option(
      '--port <n>',
      'with --serve: TCP port (0 picks a free one)',
      intOption('--port', { min: 0, max: 65535 }),
    )
    .option(
      '--db <target>',
      `with --serve: database (SQLite file or postgres:// URL) without registry users or patients (default: DIR/${REPORT_DB_NAME})`,
      databaseOption(),
    )
    .option('--json', 'print a JSON summary instead of text')
    .addHelpText(
      'after',
      `\n--out DIR: ${OUT_RULE}.\n\nExamples:\n  carto demo --out carto-demo\n  carto demo --patients 23 --out carto-trial\n  carto demo --serve --port 8080`,
    )
    .action(
      async (opts: {
        out: string;
        seed: number;
        patients?: number;
        voxelMm?: number;
        fdg: boolean;
        lab?: boolean;
        json?: boolean;
        serve?: boolean;
        port?: number;
        db?: string;
      }) => {
        if (opts.serve) {
          await serveDemo(opts);
          return;
        }
        for (const o of ['port', 'db'] as const)
          if (opts[o] !== undefined)
            throw new InputError(`--${o} needs --serve`, { field: `--${o}`, value: opts[o] });
        if (opts.lab) {
          await labDemo(opts);
          return;
        }
        const out = resolve(opts.out);
        const bundleDir = join(out, 'bundle');
        const dbFile = join(out, REPORT_DB_NAME);
        const t0 = performance.now();
        let simulateS = 0;
        // One demo folder (bundle, store, report), committed whole under the output rule.
        const run = await writeOutputFolder(out, { kind: 'demo', option: '--out' }, async (dir) => {
          await writeSimulatedBundle(join(dir, 'bundle'), {
            seed: opts.seed,
            fdg: opts.fdg,
            ...(opts.patients !== undefined ? { patients: opts.patients } : {}),
            ...(opts.voxelMm !== undefined ? { voxelMm: opts.voxelMm } : {}),
          });
          simulateS = (performance.now() - t0) / 1000;
          return runStudy(
            join(dir, 'bundle'),
            join(dir, 'report'),
            join(dir, REPORT_DB_NAME),
            terminalProgress(),
          );
        });
        // The paths inside the staging folder become the committed ones.
        const r = { ...run, reportDir: join(out, 'report'), dbFile };
        const timings = { simulate: simulateS, ...r.timings };
        if (opts.json) {
          const { dbFile: _d, ...rest } = r;
          printJson({ ...rest, timings, bundle: bundleDir, db: dbFile });
          return;
        }
        process.stdout.write(
          `${summaryLines(r)}\nbundle:   ${bundleDir}\nreport:   ${join(r.reportDir, 'index.html')}\n\n` +
            formatTable(
              ['stage', 'seconds'],
              Object.entries(timings).map(([k, v]) => [k, v]),
            ) +
            '\n',
        );
      },
    );
}

/** `carto demo --serve`: the demo, then the server until SIGINT/SIGTERM (src/cli/demo-serve.ts). */
async function serveDemo(opts: {
  out: string;
  seed: number;
  patients?: number;
  voxelMm?: number;
  fdg: boolean;
  lab?: boolean;
  json?: boolean;
  port?: number;
  db?: string;
}): Promise<void> {
  if (opts.lab) throw new InputError('--serve serves the trial demo, not --lab', { field: '--lab' });
  const d = await demoServe({
    out: opts.out,
    port: opts.port ?? 8080,
    seed: opts.seed,
    fdg: opts.fdg,
    progress: terminalProgress(),
    ...(opts.db !== undefined ? { db: opts.db } : {}),
    ...(opts.patients !== undefined ? { patients: opts.patients } : {}),
    ...(opts.voxelMm !== undefined ? { voxelMm: opts.voxelMm } : {}),
  });
  printWarnings(d.warnings);
  if (opts.json) {
    printJson({
      url: d.url,
      username: d.username,
      password: d.password,
      studyName: d.studyName,
      registryPatients: d.registryPatients,
      db: d.db,
    });
  } else process.stdout.write(demoServeLines(d, opts.out));
  const stop = () => {
    void d.close();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
