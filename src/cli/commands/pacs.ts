/**
 * `carto pacs list|store`: the series on a PACS over DICOMweb (src/io/dicomweb.ts, docs/pacs.md).
 * `list` searches by QIDO-RS and prints study and series UIDs, the pseudonymous patient ID, study
 * date, modality, description and number of instances (never PatientName); the UIDs make a scan path
 * `dicomweb:<StudyInstanceUID>/<SeriesInstanceUID>` for scans.csv. `store` sends the DICOM files of
 * series folders to the PACS by STOW-RS (e.g. a simulated trial, `carto simulate`).
 */
import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { InputError } from '../../errors.js';
import { readRegularFile } from '../../io/files.js';
import { DICOMWEB_SCHEME, parsePacsUrl, searchSeries, storeInstances } from '../../io/dicomweb.js';
import { commandGroup, formatTable, printJson } from '../shared.js';

/** Commander parser of `--pacs URL` (see `parsePacsUrl`): an InputError names the option and the value. */
export function pacsOption(option = '--pacs'): (value: string) => string {
  return (value) => parsePacsUrl(value, { field: option });
}

/** A Modality code (DICOM CS, e.g. PT, CT), upper-cased. @throws InputError naming `--modality`. */
function modalityOption(value: string): string {
  const v = value.trim().toUpperCase();
  if (!/^[A-Z0-9_]{1,16}$/.test(v)) {
    throw new InputError('must be a DICOM Modality code such as PT or CT', { field: '--modality', value });
  }
  return v;
}

/**
 * The Part-10 files of series folders (every regular file directly in each folder, hidden files and
 * DICOMDIR skipped; a file without the "DICM" prefix is refused naming it).
 * @throws InputError naming a folder that cannot be listed or a file that is not DICOM Part-10
 */
async function seriesFiles(dirs: readonly string[]): Promise<{ file: string; bytes: Uint8Array }[]> {
  const out: { file: string; bytes: Uint8Array }[] = [];
  for (const d of dirs) {
    const dir = resolve(d);
    let names: string[];
    try {
      if (!statSync(dir).isDirectory()) throw new Error('not a folder');
      names = readdirSync(dir).sort();
    } catch (e) {
      throw new InputError(`cannot list series folder: ${(e as Error).message}`, { file: dir });
    }
    for (const name of names) {
      const file = join(dir, name);
      if (/^(\.|DICOMDIR$)/i.test(name) || statSync(file).isDirectory()) continue;
      const bytes = await readRegularFile(file);
      const magic = bytes.length >= 132 ? String.fromCharCode(...bytes.subarray(128, 132)) : '';
      if (magic !== 'DICM') {
        throw new InputError('not a DICOM Part-10 file (no "DICM" after the 128-byte preamble)', { file });
      }
      out.push({ file, bytes });
    }
  }
  return out;
}

export function register(program: Command): void {
  const pacs = commandGroup(
    program,
    'pacs',
    'Series on a PACS over DICOMweb: list them (QIDO-RS) or store series folders (STOW-RS)',
  );

  pacs
    .command('list')
    .description(
      'List the series on a DICOMweb server (QIDO-RS): pseudonymous patient ID, study date, modality,\n' +
        'description, number of instances, and the scans.csv path that names the series,\n' +
        `${DICOMWEB_SCHEME}<StudyInstanceUID>/<SeriesInstanceUID> (docs/pacs.md; --json gives the UIDs apart).`,
    )
    .requiredOption('--pacs <url>', 'DICOMweb base URL, e.g. http://pacs:8042/dicom-web', pacsOption())
    .option('--modality <code>', 'only series of this Modality (PT for PET)', modalityOption)
    .option('--json', 'print { "series": [ … ] } as JSON')
    .addHelpText(
      'after',
      '\nExample:\n  carto pacs list --pacs http://127.0.0.1:8042/dicom-web --modality PT',
    )
    .action(async (opts: { pacs: string; modality?: string; json?: boolean }) => {
      const series = await searchSeries(
        opts.pacs,
        opts.modality !== undefined ? { modality: opts.modality } : {},
        { field: '--pacs', value: opts.pacs },
      );
      if (opts.json) {
        printJson({ pacs: opts.pacs, series });
        return;
      }
      process.stdout.write(
        `${formatTable(
          ['patient', 'study date', 'modality', 'instances', 'description', 'scans.csv path'],
          series.map((s) => [
            s.patientId,
            s.studyDate,
            s.modality,
            s.instances,
            s.seriesDescription,
            `${DICOMWEB_SCHEME}${s.studyInstanceUid}/${s.seriesInstanceUid}`,
          ]),
        )}\n${series.length} series\n`,
      );
    });

  pacs
    .command('store')
    .description(
      'Store the DICOM files of series folders on a DICOMweb server (STOW-RS), e.g. the images/ of a\n' +
        'simulated trial. Every regular file in each folder must be DICOM Part-10.',
    )
    .argument('<folder...>', 'series folders')
    .requiredOption('--pacs <url>', 'DICOMweb base URL, e.g. http://pacs:8042/dicom-web', pacsOption())
    .option('--json', 'print { "stored": N } as JSON')
    .addHelpText(
      'after',
      '\nExample:\n  carto pacs store trial/images/VT-01-pre --pacs http://127.0.0.1:8042/dicom-web',
    )
    .action(async (folders: string[], opts: { pacs: string; json?: boolean }) => {
      const files = await seriesFiles(folders);
      const { stored } = await storeInstances(
        opts.pacs,
        files.map((f) => f.bytes),
        { field: '--pacs', value: opts.pacs },
      );
      if (opts.json) printJson({ pacs: opts.pacs, files: files.length, stored });
      else process.stdout.write(`stored ${stored} of ${files.length} instances on ${opts.pacs}\n`);
    });
}
