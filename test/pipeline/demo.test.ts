// `carto demo` through the installed entry point (bin/carto.js, what `npx carto demo` runs): a
// small virtual trial is simulated, imported, quantified, analysed and reported.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { withDemo } from '../helpers/demo.js';

interface Summary {
  status: string;
  patients: number;
  scans: number;
  vois: number;
  reportDir: string;
  sections: { id: string; status: string; reason?: string }[];
  timings: Record<string, number>;
}

test('carto demo writes a complete report of a virtual trial', () => {
  withDemo(['--patients', '4', '--seed', '3'], ({ report, stdout }) => {
    const s = JSON.parse(stdout) as Summary;
    assert.equal(s.status, 'written');
    assert.equal(s.patients, 4);
    assert.ok(s.scans >= 8, `${s.scans} scans`);
    for (const stage of ['simulate', 'validate', 'quantify', 'store', 'analyse', 'report']) {
      assert.ok(typeof s.timings[stage] === 'number', `timing of ${stage}`);
    }
    for (const f of [
      'index.html',
      'results.json',
      'tables/table1.csv',
      'tables/voi-metrics.csv',
      'figures/km-ttp.svg',
      'figures/km-pfs.svg',
      'figures/km-os.svg',
      'figures/lesion-suvpeak-strip.svg',
      'figures/mip.svg',
      'figures/cytokine-recovery.svg',
      'figures/cytotoxicity-curves.svg',
      'figures/flow-memory-subsets.svg',
      'tables/flow-gates.csv',
      'tables/cytokine-samples.csv',
      'tables/qpcr-samples.csv',
    ]) {
      assert.ok(existsSync(join(report, f)), `${f} written`);
    }
    const ok = new Set(s.sections.filter((x) => x.status === 'ok').map((x) => x.id));
    // the simulated raw lab assays are imported and reported (qPCR, cytokines, ⁵¹Cr, flow cytometry)
    for (const id of [
      'table1',
      'normal-tissue-summary',
      'outcomes-uptake',
      'quantification',
      'qpcr',
      'cytokines',
      'cytotoxicity',
      'flow',
    ]) {
      assert.ok(ok.has(id), `section ${id} ran: ${JSON.stringify(s.sections)}`);
    }
    const svg = readFileSync(join(report, 'figures', 'km-ttp.svg'), 'utf8');
    assert.match(svg, /^<svg/);
    assert.match(svg, /Number at risk/);
  });
});
