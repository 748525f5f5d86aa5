// The HTML report shows a long text that repeats in a table once, as a note (issue 12, item 10).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderReportHtml } from '../../src/report/html.js';
import type { AnalysisSection } from '../../src/analysis/types.js';

const reason = 'not estimable: no events in this group (all patients censored before day 28)';

function page(rows: AnalysisSection['tables'][number]['rows']): string {
  const section: AnalysisSection = {
    id: 'hr',
    title: 'Hazard ratios',
    status: 'ok',
    description: 'Cox models per organ.',
    results: {},
    tables: [{ id: 'hr', title: 'HR per organ', columns: ['organ', 'hr', 'note'], rows }],
    figures: [],
  };
  return renderReportHtml({ title: 'T', subtitle: 's', sections: [section], figureSvg: new Map() });
}

test('a long reason repeated in twelve rows is printed once as a note; each cell points to it', () => {
  const rows = Array.from({ length: 12 }, (_, i) => ({ organ: `organ-${i}`, hr: null, note: reason }));
  rows.push({ organ: 'liver', hr: 1.5 as never, note: 'ok' });
  const html = page(rows);
  assert.equal(html.split(reason).length - 1, 1, 'the reason is in the page once');
  assert.equal(html.split('<td class="note">see note 1</td>').length - 1, 12);
  assert.match(html, /<p class="note">Note 1: not estimable: no events in this group/);
  assert.match(html, /<td>ok<\/td>/);
});

test('a long text that appears once, and short repeated texts, stay in their cells', () => {
  const html = page([
    { organ: 'a', hr: 1, note: reason },
    { organ: 'b', hr: 2, note: 'ok' },
    { organ: 'c', hr: 3, note: 'ok' },
  ]);
  assert.match(html, new RegExp(`<td>${reason.replace(/[()]/g, '\\$&')}</td>`));
  assert.doesNotMatch(html, /see note/);
});
