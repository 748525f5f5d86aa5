// The six trial-report sections of issue 15 (items 3–4) on the saved virtual trial (fixtures/trial-study.json,
// simulated and quantified through the pipeline): each is 'ok', and the report writer puts each of its
// tables (CSV) and figures (SVG) on disk, with its numbers unrounded in results.json.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StudyData } from '../../src/study/model.js';
import { MODEL_SECTIONS, runModelSections } from './plan-sections.js';
import { writeReportFiles } from '../../src/report/write.js';

const IDS = [
  'response',
  'follow-up',
  'car-t-expansion',
  'cytokines-uptake',
  'suvpeak-suvmax',
  'anatomical-stations',
];

test('the trial-report sections run on the saved trial and write their tables, figures and results', async () => {
  const study = JSON.parse(
    readFileSync(new URL('./fixtures/trial-study.json', import.meta.url), 'utf8'),
  ) as StudyData;
  const plan = MODEL_SECTIONS.filter((a) => IDS.includes(a.id));
  assert.deepEqual(
    plan.map((a) => a.id).sort(),
    [...IDS].sort(),
    'every section is in the model sections of the plan',
  );
  const sections = runModelSections(study, plan);
  const dir = mkdtempSync(join(tmpdir(), 'carto-trial-report-'));
  try {
    await writeReportFiles(dir, { studyName: study.name, tracer: study.tracer, sections });
    const doc = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as {
      sections: Record<string, { status: string; results: Record<string, unknown> }>;
    };
    for (const s of sections) {
      assert.equal(s.status, 'ok', `${s.id}: ${s.reason}`);
      assert.ok(s.tables.length > 0 && s.figures.length > 0, `${s.id} has tables and figures`);
      for (const t of s.tables) assert.ok(existsSync(join(dir, 'tables', `${t.id}.csv`)), `${t.id}.csv`);
      for (const f of s.figures) {
        const svg = join(dir, 'figures', `${f.id}.svg`);
        assert.ok(existsSync(svg), `${f.id}.svg`);
        assert.match(readFileSync(svg, 'utf8'), /^<svg/);
      }
      assert.equal(doc.sections[s.id]!.status, 'ok');
    }
    const orr = doc.sections['response']!.results['orr'] as { lower: number };
    const mine = (sections.find((s) => s.id === 'response')!.results as { orr: { lower: number } }).orr;
    assert.equal(orr.lower, mine.lower, 'results.json keeps every digit');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
