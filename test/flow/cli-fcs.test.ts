/** `carto fcs info|events|gate` end to end (JSON shapes of issue 7, exit codes for bad input). */
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
});
