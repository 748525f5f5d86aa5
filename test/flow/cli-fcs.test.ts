/** `carto fcs info|events|gate|phenotype` end to end (JSON shapes of issue 7, exit codes for bad input). */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { register } from '../../src/cli/commands/fcs.js';
import { projectRoot, sharedData } from '../helpers/shared-data.js';
import { runInProcess } from '../helpers/cli-in-process.js';

/** Runs `carto …` in a child process (used once, for the real exit code). */
function cartoProcess(...args: string[]): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(projectRoot, 'src/cli/main.ts'), ...args], {
    cwd: projectRoot,
    encoding: 'utf8',
  });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

/** Runs the `fcs` command group in-process (test/helpers/cli-in-process.ts). */
function carto(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  return runInProcess(register, args);
}

describe('carto fcs', () => {
  const set1 = sharedData('flow', 'gatingml2-compliance-set1');
  it('gate --json gives {gates: [{id, path, count, percentOfParent}]} matching the compliance counts', async () => {
    const r = await carto(
      'fcs',
      'gate',
      join(set1, 'data1.fcs'),
      '--gating',
      join(set1, 'gml', 'gml_parent_quadrant_rect_gate.xml'),
      '--json',
    );
    assert.equal(r.code, 0, r.err);
    const j = JSON.parse(r.out) as {
      gates: { id: string; path: string; count: number; percentOfParent: number }[];
    };
    const byId = new Map(j.gates.map((g) => [g.id, g]));
    assert.equal(byId.get('FL2P-FL4P')!.count, 620);
    assert.equal(byId.get('ParRectangle1')!.path, '/FL2P-FL4P/ParRectangle1');
    assert.equal(byId.get('ParRectangle1')!.percentOfParent, (100 * byId.get('ParRectangle1')!.count) / 620);
  });
  it('events --raw --limit and info --json', async () => {
    const r = await carto('fcs', 'events', join(set1, 'data1.fcs'), '--raw', '--limit', '2', '--json');
    assert.equal(r.code, 0, r.err);
    const j = JSON.parse(r.out) as { parameters: string[]; events: number[][] };
    assert.deepEqual(j.parameters.slice(0, 2), ['FSC-H', 'SSC-H']);
    assert.deepEqual(j.events, [
      [323, 218, 220, 394, 267, 5, 183, 0],
      [70, 43, 400, 0, 571, 0, 162, 0],
    ]);
    const info = JSON.parse((await carto('fcs', 'info', join(set1, 'data1.fcs'), '--json')).out) as {
      events: number;
      parameters: unknown[];
    };
    assert.equal(info.events, 13367);
    assert.equal(info.parameters.length, 8);
  });
  it('a truncated FCS file and a gate on an absent parameter exit 2 with a clear message', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'carto-fcs-cli-'));
    const cut = join(dir, 'cut.fcs');
    writeFileSync(cut, readFileSync(join(set1, 'data1.fcs')).subarray(0, 100000));
    const r = cartoProcess('fcs', 'events', cut, '--json'); // real process: exit code 2 from main
    assert.equal(r.code, 2);
    assert.match(r.err, /truncated/);
    const xml = join(dir, 'bad.xml');
    writeFileSync(
      xml,
      '<Gating-ML><RectangleGate id="R"><dimension compensation-ref="uncompensated" min="1"><fcs-dimension name="CD999"/></dimension></RectangleGate></Gating-ML>',
    );
    copyFileSync(join(set1, 'data1.fcs'), join(dir, 'd.fcs'));
    const g = await carto('fcs', 'gate', join(dir, 'd.fcs'), '--gating', xml);
    assert.equal(g.code, 2);
    assert.match(g.err, /not in the data.*CD999/);
  });
  it('phenotype --json: per population values, fold change vs a control, settings errors exit 2', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'carto-fcs-pheno-'));
    const xml = join(dir, 'g.xml');
    writeFileSync(
      xml,
      `<?xml version="1.0" encoding="UTF-8"?>
<gating:Gating-ML xmlns:gating="http://www.isac-net.org/std/Gating-ML/v2.0/gating"
  xmlns:data-type="http://www.isac-net.org/std/Gating-ML/v2.0/datatypes">
  <gating:RectangleGate gating:id="CD8"><gating:dimension gating:compensation-ref="FCS" gating:min="20">
    <data-type:fcs-dimension data-type:name="FL2-H" /></gating:dimension></gating:RectangleGate>
</gating:Gating-ML>`,
    );
    const settings = join(dir, 'study.json');
    writeFileSync(
      settings,
      JSON.stringify({
        name: 'x',
        flow: {
          populations: [{ label: 'cd8', gate: 'CD8' }],
          markers: { KLRG1: { channel: 'FL1-H', threshold: 1e9 } },
          mfi: ['KLRG1'],
        },
      }),
    );
    const fcsFile = join(set1, 'data1.fcs');
    const r = await carto(
      'fcs',
      'phenotype',
      fcsFile,
      '--gating',
      xml,
      '--settings',
      settings,
      '--control',
      fcsFile,
      '--json',
    );
    assert.equal(r.code, 0, r.err);
    const j = JSON.parse(r.out) as {
      compensated: boolean;
      values: { analyte: string; value: number; control: number | null; foldChange: number | null }[];
    };
    const v = new Map(j.values.map((x) => [x.analyte, x]));
    // independent count of FL2-H ≥ 20 on the file's scaled events
    const ev = JSON.parse((await carto('fcs', 'events', fcsFile, '--json')).out) as {
      parameters: string[];
      events: number[][];
    };
    const k = ev.parameters.indexOf('FL2-H');
    const cd8 = ev.events.filter((e) => e[k]! >= 20).length;
    assert.equal(v.get('flow_cd8_count')!.value, cd8);
    assert.equal(v.get('flow_cd8_count')!.foldChange, 1);
    // nothing reaches 1e9: 0 % KLRG1+, and a control of 0 gives no fold change
    assert.equal(v.get('flow_cd8_klrg1pos_pct')!.value, 0);
    assert.equal(v.get('flow_cd8_klrg1pos_pct')!.foldChange, null);
    assert.ok(v.has('flow_cd8_mfi_klrg1'));
    assert.equal(j.compensated, false);

    writeFileSync(settings, JSON.stringify({ populations: [{ label: 'CD8 T', gate: 'CD8' }] }));
    const bad = await carto('fcs', 'phenotype', fcsFile, '--gating', xml, '--settings', settings);
    assert.equal(bad.code, 2);
    assert.match(bad.err, /study\.json, field flow\.populations\.0\.label/);
  });
});
