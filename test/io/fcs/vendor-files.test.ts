/**
 * Vendor files the reader used to refuse or misreport (issue 12, item 9):
 * - a Miltenyi MACSQuant FCS 3.1 file whose `$SPILLOVER` holds only channel names: read with a warning and
 *   the spillover ignored, unless compensation is asked for — then an InputError naming the keyword;
 * - an FCS whose DATA segment is cut short: refused (also when only HEADER/TEXT are read, as `carto fcs info`
 *   does), naming the DATA offsets and the file size.
 * Files are made by the FCS writer, then edited byte-wise.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { register } from '../../../src/cli/commands/fcs.js';
import { InputError } from '../../../src/errors.js';
import {
  fileSpilloverForCompensation,
  readFcs,
  readFcsDataSetInfos,
  sampleSpillover,
} from '../../../src/io/fcs/reader.js';
import { encodeFcs } from '../../../src/io/fcs/writer.js';
import { runInProcess } from '../../helpers/cli-in-process.js';

const dir = mkdtempSync(join(tmpdir(), 'carto-fcs-vendor-'));
const NAMES = ['FSC-A', 'SSC-A', 'FL1-A', 'FL2-A'];
const COLUMNS = [
  [1000, 2000, 3000],
  [500, 600, 700],
  [10, 20, 30],
  [40, 50, 60],
];

/** A MACSQuant-like FCS 3.1 file: `$CYT` MACSQuant, `$SPILLOVER` = "2,FL1-A,FL2-A" (names, no values). */
function macsQuantFile(): string {
  const bytes = Buffer.from(
    encodeFcs({
      parameters: NAMES.map((name) => ({ name })),
      columns: COLUMNS,
      fileName: 'macsquant.fcs',
      // a placeholder keyword of the same length, renamed to $SPILLOVER below (the writer reserves it)
      keywords: { $CYT: 'MACSQuant Analyzer 10', X_SPILLOVR: '2,FL1-A,FL2-A' },
    }),
  );
  const at = bytes.indexOf('/X_SPILLOVR/');
  assert.ok(at > 0);
  bytes.write('/$SPILLOVER/', at, 'latin1');
  const f = join(dir, 'macsquant.fcs');
  writeFileSync(f, bytes);
  return f;
}

/** Captures stderr (the CLI's warnings) around `fn`. */
async function withStderr<T>(fn: () => Promise<T>): Promise<{ result: T; stderr: string }> {
  let stderr = '';
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = (chunk: string | Uint8Array): boolean => {
    stderr += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    return true;
  };
  try {
    return { result: await fn(), stderr };
  } finally {
    process.stderr.write = write;
  }
}

describe('MACSQuant $SPILLOVER with channel names only', () => {
  const f = macsQuantFile();

  it('is read with a warning and the spillover ignored', () => {
    const ds = readFcs(f);
    assert.equal(ds.keywords['$SPILLOVER'], '2,FL1-A,FL2-A');
    assert.equal(ds.spillover, null);
    assert.deepEqual(ds.spilloverIgnored, { keyword: '$SPILLOVER', value: '2,FL1-A,FL2-A' });
    assert.ok(
      ds.warnings.some((w) => /\$SPILLOVER holds only channel names/.test(w)),
      ds.warnings.join('\n'),
    );
    assert.deepEqual(Array.from(ds.events!.columns[2]!), [10, 20, 30]);
    // not asked for: the file's spillover is simply absent
    assert.equal(sampleSpillover(ds, null, false), null);
  });

  it('asked for compensation with its own matrix: InputError naming the file and keyword', () => {
    const ds = readFcs(f);
    const named = (e: unknown): boolean =>
      e instanceof InputError &&
      e.location.file === f &&
      e.location.field === '$SPILLOVER' &&
      e.location.value === '2,FL1-A,FL2-A' &&
      /compensation asked for/.test(e.message);
    assert.throws(() => fileSpilloverForCompensation(ds), named);
    assert.throws(() => sampleSpillover(ds, null, true), named);
    // a matrix from the gating (a FlowJo workspace) is used instead of the file's
    const ws = {
      parameterNames: ['FL1-A', 'FL2-A'],
      values: [
        [1, 0.1],
        [0.02, 1],
      ],
    };
    assert.equal(sampleSpillover(ds, ws, true), ws);
  });

  it('carto fcs: info and events read it with the warning on stderr; --compensate and an "FCS" gate exit 2', async () => {
    const info = await withStderr(() => runInProcess(register, ['fcs', 'info', f, '--json']));
    assert.equal(info.result.code, 0, info.result.err);
    assert.equal((JSON.parse(info.result.out) as { events: number }).events, 3);
    assert.match(info.stderr, /warning: \$SPILLOVER holds only channel names/);
    const ev = await withStderr(() => runInProcess(register, ['fcs', 'events', f, '--json']));
    assert.equal(ev.result.code, 0, ev.result.err);
    assert.match(ev.stderr, /warning: \$SPILLOVER holds only channel names/);
    const comp = await withStderr(() => runInProcess(register, ['fcs', 'events', f, '--compensate']));
    assert.equal(comp.result.code, 2);
    assert.match(comp.result.err, /compensation asked for, but \$SPILLOVER holds only channel names/);
    assert.match(comp.result.err, /macsquant\.fcs/);
    const gml = join(dir, 'fcs-comp.xml');
    writeFileSync(
      gml,
      '<gating:Gating-ML xmlns:gating="http://www.isac-net.org/std/Gating-ML/v2.0/gating" ' +
        'xmlns:data-type="http://www.isac-net.org/std/Gating-ML/v2.0/datatypes">' +
        '<gating:RectangleGate gating:id="R"><gating:dimension gating:compensation-ref="FCS" gating:min="15">' +
        '<data-type:fcs-dimension data-type:name="FL1-A"/></gating:dimension></gating:RectangleGate>' +
        '</gating:Gating-ML>',
    );
    const gate = await withStderr(() => runInProcess(register, ['fcs', 'gate', f, '--gating', gml]));
    assert.equal(gate.result.code, 2);
    assert.match(gate.result.err, /\$SPILLOVER/);
    // the same gate uncompensated is evaluated
    writeFileSync(join(dir, 'uncomp.xml'), readFileSync(gml, 'utf8').replace('"FCS"', '"uncompensated"'));
    const ok = await withStderr(() =>
      runInProcess(register, ['fcs', 'gate', f, '--gating', join(dir, 'uncomp.xml'), '--json']),
    );
    assert.equal(ok.result.code, 0, ok.result.err);
    assert.equal((JSON.parse(ok.result.out) as { gates: { count: number }[] }).gates[0]!.count, 2);
  });
});

describe('an FCS file whose DATA segment is cut short', () => {
  const bytes = Buffer.from(encodeFcs({ parameters: NAMES.map((name) => ({ name })), columns: COLUMNS }));
  const cut = join(dir, 'cut.fcs');
  writeFileSync(cut, bytes.subarray(0, bytes.length - 5));
  const ok = join(dir, 'whole.fcs');
  writeFileSync(ok, bytes);
  const full = readFcs(ok, { textOnly: true });
  const begin = full.dataBeginBytes;
  const end = full.dataEndBytes;

  const names = (e: unknown): boolean =>
    e instanceof InputError &&
    e.location.file === cut &&
    e.location.field === 'DATA' &&
    e.location.value === `${begin}-${end}` &&
    e.message.includes(`$BEGINDATA ${begin}`) &&
    e.message.includes(`$ENDDATA ${end}`) &&
    e.message.includes(`file has ${bytes.length - 5} bytes`) &&
    e.message.includes('$TOT 3');

  it('is refused when only HEADER and TEXT are read (no full $TOT reported)', () => {
    assert.throws(() => readFcs(cut, { textOnly: true }), names);
    assert.throws(() => readFcsDataSetInfos(cut), names);
  });

  it('is refused when events are read, even only the first ones', () => {
    assert.throws(() => readFcs(cut), names);
    assert.throws(() => readFcs(cut, { maxEvents: 1 }), names);
  });

  it('carto fcs info exits 2 naming the offsets; the whole file reports $TOT', async () => {
    const r = await runInProcess(register, ['fcs', 'info', cut, '--json']);
    assert.equal(r.code, 2);
    assert.match(r.err, /cut short.*\$BEGINDATA \d+ \/ \$ENDDATA \d+/);
    const w = await runInProcess(register, ['fcs', 'info', ok, '--json']);
    assert.equal(w.code, 0, w.err);
    assert.equal((JSON.parse(w.out) as { events: number }).events, 3);
  });
});
