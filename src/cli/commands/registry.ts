/** `carto registry import-redcap|import-castor|export` — exchange with the registry database. */
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { DATABASE_HELP, databaseOption, databaseTarget } from '../options.js';
import { InputError } from '../../errors.js';
import { RegistryStore } from '../../registry/store.js';
import { importCastor, importRedcap, type ImportSummary } from '../../registry/exchange/import.js';
import { exportCsv, exportOdm } from '../../registry/exchange/export.js';
import { exportBundle } from '../../registry/exchange/bundle.js';
import { commandGroup, formatTable, printJson } from '../shared.js';
import {
  checkOutputFile,
  checkOutputFolder,
  writeOutputFolder,
  type OutputFolderOptions,
} from '../../io/output-folder.js';

async function asUser<T>(
  db: string,
  username: string,
  fn: (reg: ReturnType<RegistryStore['as']>) => Promise<T>,
): Promise<T> {
  const store = await RegistryStore.open(db);
  try {
    const u = await store.userByUsername(username);
    if (!u || u.disabled)
      throw new InputError('unknown or disabled user', { field: '--as', value: username });
    return await fn(store.as({ userId: u.id, username: u.username, role: u.role, centreId: u.centreId }));
  } finally {
    await store.close();
  }
}

function printSummary(s: ImportSummary, json: boolean): void {
  if (json) printJson(s);
  else
    process.stdout.write(
      `${formatTable(['table', 'rows'], [['patients', s.patients], ...Object.entries(s.rows).map(([k, v]) => [k, v])])}\n`,
    );
}

export function register(program: Command): void {
  const reg = commandGroup(
    program,
    'registry',
    'CAR T registry: import from REDCap/Castor, export CSV/ODM/bundle',
  );
  registerImportRedcap(reg);
  registerImportCastor(reg);
  registerExport(reg);
}

/** `carto registry import-redcap`: a REDCap export through a mapping file. */
function registerImportRedcap(reg: Command): void {
  reg
    .command('import-redcap')
    .description(
      'Import a REDCap project (data dictionary + flat records CSV) through a mapping file; all or nothing',
    )
    .requiredOption('--dictionary <file>', 'REDCap data dictionary CSV')
    .requiredOption(
      '--records <file>',
      'REDCap records export CSV (raw codes; events and repeat instances allowed)',
    )
    .requiredOption('--mapping <file>', 'mapping JSON (see src/registry/exchange/import.ts)')
    .requiredOption('--as <username>', 'registry user the import is recorded under (authorisation applies)')
    .option('--db <target>', DATABASE_HELP, databaseOption())
    .option('--json', 'print the summary as JSON')
    .addHelpText(
      'after',
      '\nExample:\n  carto registry import-redcap --dictionary dd.csv --records rec.csv --mapping map.json --as dm-amc',
    )
    .action(
      async (o: {
        dictionary: string;
        records: string;
        mapping: string;
        as: string;
        db?: string;
        json?: boolean;
      }) => {
        const s = await asUser(databaseTarget(o.db), o.as, (r) =>
          importRedcap(r, { dictionary: o.dictionary, records: o.records, mapping: o.mapping }),
        );
        printSummary(s, Boolean(o.json));
      },
    );
}

/** `carto registry import-castor`: a Castor EDC export through a mapping file. */
function registerImportCastor(reg: Command): void {
  reg
    .command('import-castor')
    .description(
      'Import a Castor EDC CSV export (semicolon; wide study data + long repeating data) through a mapping file',
    )
    .requiredOption('--study <file>', 'Castor study data CSV (wide)')
    .option('--repeating <name=file...>', 'repeating-data CSV per name, e.g. daily_tox=tox.csv', [])
    .requiredOption('--mapping <file>', 'mapping JSON')
    .requiredOption('--as <username>', 'registry user the import is recorded under')
    .option('--db <target>', DATABASE_HELP, databaseOption())
    .option('--json', 'print the summary as JSON')
    .addHelpText(
      'after',
      '\nExample:\n  carto registry import-castor --study study.csv --repeating daily_tox=tox.csv --mapping map.json --as dm-amc',
    )
    .action(
      async (o: {
        study: string;
        repeating: string[];
        mapping: string;
        as: string;
        db?: string;
        json?: boolean;
      }) => {
        const repeating: Record<string, string> = {};
        for (const kv of o.repeating) {
          const i = kv.indexOf('=');
          if (i <= 0) throw new InputError('use name=file', { field: '--repeating', value: kv });
          repeating[kv.slice(0, i)] = kv.slice(i + 1);
        }
        const s = await asUser(databaseTarget(o.db), o.as, (r) =>
          importCastor(r, { study: o.study, repeating, mapping: o.mapping }),
        );
        printSummary(s, Boolean(o.json));
      },
    );
}

/** What a bundle export does not hold, said with it (text and --json). */
const BUNDLE_EXPORT_NOTE =
  'the registry holds no images: scans.csv and vois.csv have their headers only; add the scans and ' +
  'their VOIs (docs/study-bundle.md) before `carto run`, or the imaging sections are skipped';

/** `carto registry export`: the caller's scope as CSV, CDISC ODM or a study bundle. */
function registerExport(reg: Command): void {
  reg
    .command('export')
    .description(
      "Export the caller's scope: CSV (long or wide), CDISC ODM 1.3.2 with audit records, or a study bundle",
    )
    .requiredOption('--format <f>', 'csv | odm | bundle')
    .requiredOption(
      '--out <path>',
      'output file (csv, odm) or folder (bundle: new, empty or an earlier Cartography bundle, which is\n' +
        'replaced once the new one is complete; any other folder is refused and left untouched)',
    )
    .requiredOption(
      '--as <username>',
      'registry user whose scope is exported (analysts get pseudonymised data)',
    )
    .option('--shape <s>', 'CSV shape: long (one row per record row) or wide (one row per patient)', 'long')
    .option('--study-name <name>', 'bundle: study name', 'CAR T registry export')
    .option('--tracer <name:nuclide:halfLifeS>', 'bundle: tracer of study.json', 'FDG:18F:6586.2')
    .option('--db <target>', DATABASE_HELP, databaseOption())
    .option('--json', 'print a summary as JSON')
    .addHelpText(
      'after',
      '\nCSV cells: NA = missing, 0/1 = unchecked/checked, empty = not applicable.\n' +
        'Example:\n  carto registry export --format odm --out registry.xml --as admin',
    )
    .action(
      async (o: {
        format: string;
        out: string;
        as: string;
        shape: string;
        studyName: string;
        tracer: string;
        db?: string;
        json?: boolean;
      }) => {
        if (!['csv', 'odm', 'bundle'].includes(o.format))
          throw new InputError('use csv, odm or bundle', { field: '--format', value: o.format });
        if (!['long', 'wide'].includes(o.shape))
          throw new InputError('use long or wide', { field: '--shape', value: o.shape });
        // Refuse a bad --out before the registry is opened (src/io/output-folder.ts).
        const db = databaseTarget(o.db);
        const bundleRule: OutputFolderOptions = {
          kind: 'bundle',
          option: '--out',
          inputs: /^postgres(ql)?:\/\//.test(db) ? [] : [db],
        };
        if (o.format === 'bundle') checkOutputFolder(o.out, bundleRule);
        else checkOutputFile(o.out, '--out');
        const result = await asUser(db, o.as, async (r) => {
          const recs = await r.allRecords();
          if (o.format === 'csv') writeFileSync(o.out, exportCsv(recs, o.shape as 'long' | 'wide'));
          else if (o.format === 'odm')
            writeFileSync(o.out, exportOdm(recs, r.actor.role === 'analyst' ? [] : await r.auditLog()));
          else {
            const [name, nuclide, hl] = o.tracer.split(':');
            const halfLifeS = Number(hl);
            if (!name || !nuclide || !(halfLifeS > 0))
              throw new InputError('use name:nuclide:halfLifeS', { field: '--tracer', value: o.tracer });
            const patients = await writeOutputFolder(o.out, bundleRule, (dir) =>
              exportBundle(recs, dir, { name: o.studyName, tracer: { name, nuclide, halfLifeS } }),
            );
            await r.recordExport({ format: 'bundle', patients, client: 'cli' });
            return { patients, out: o.out, note: BUNDLE_EXPORT_NOTE };
          }
          await r.recordExport({
            format: o.format === 'csv' ? `csv-${o.shape}` : o.format,
            patients: recs.length,
            client: 'cli',
          });
          return { patients: recs.length, out: o.out };
        });
        if (o.json) printJson({ format: o.format, ...result });
        else
          process.stdout.write(
            `${formatTable(['format', 'patients', 'written to'], [[o.format, result.patients, result.out]])}\n` +
              ('note' in result ? `note: ${result.note}\n` : ''),
          );
      },
    );
}
