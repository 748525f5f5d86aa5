/**
 * The HTML report: one self-contained file (inline CSS and SVG, no scripts, no external resources)
 * that opens offline. Sections appear in the analysis plan's order; each states its method, the
 * numbers used, its findings, tables and figures; sections that could not run say why.
 */
import type { AnalysisSection, ResultTable } from '../analysis/types.js';
import { formatSig } from '../analysis/format.js';

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function cell(v: string | number | boolean | null): string {
  if (v === null) return '<td class="na">NA</td>';
  if (typeof v === 'number')
    return `<td class="num">${escapeHtml(Number.isInteger(v) ? String(v) : formatSig(v))}</td>`;
  if (typeof v === 'boolean') return `<td>${v ? 'yes' : 'no'}</td>`;
  return `<td>${escapeHtml(v)}</td>`;
}

/** A text this long or longer that repeats in a table is shown once, as a note under the table. */
const NOTE_MIN_LENGTH = 40;

/**
 * One result table as HTML (at most `maxRows` rows; the CSV has them all). A long text repeated in
 * the shown rows (e.g. the one reason twelve rows could not be estimated) is printed once as a
 * numbered note under the table, and its cells say "see note k".
 */
function tableHtml(t: ResultTable, maxRows = 200): string {
  const rows = t.rows.slice(0, maxRows);
  const counts = new Map<string, number>();
  for (const r of rows)
    for (const c of t.columns) {
      const v = r[c];
      if (typeof v === 'string' && v.length >= NOTE_MIN_LENGTH) counts.set(v, (counts.get(v) ?? 0) + 1);
    }
  const notes = [...counts].filter(([, k]) => k >= 2).map(([text]) => text);
  const shown = (v: string | number | boolean | null): string => {
    const k = typeof v === 'string' ? notes.indexOf(v) : -1;
    return k >= 0 ? `<td class="note">see note ${k + 1}</td>` : cell(v);
  };
  const more =
    t.rows.length > maxRows
      ? `<p class="note">${t.rows.length - maxRows} more rows in <code>tables/${escapeHtml(t.id)}.csv</code>.</p>`
      : '';
  return (
    `<figure class="table"><figcaption>${escapeHtml(t.title)} ` +
    `<a href="tables/${escapeHtml(t.id)}.csv">(CSV)</a></figcaption>` +
    `<table><thead><tr>${t.columns.map((c) => `<th>${escapeHtml(c)}</th>`).join('')}</tr></thead><tbody>` +
    rows.map((r) => `<tr>${t.columns.map((c) => shown(r[c] ?? null)).join('')}</tr>`).join('') +
    `</tbody></table>` +
    notes.map((text, k) => `<p class="note">Note ${k + 1}: ${escapeHtml(text)}</p>`).join('') +
    `${more}</figure>`
  );
}

const CSS = `
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0 auto;max-width:1100px;padding:1.5rem;color:#1d2330;line-height:1.45}
h1{font-size:1.7rem;margin-bottom:.2rem}h2{border-bottom:2px solid #dfe3ea;padding-bottom:.2rem;margin-top:2.2rem}
.meta{color:#5b6475}.status-not-run{background:#fff4e5;border-left:4px solid #e69a28;padding:.5rem .8rem}
table{border-collapse:collapse;font-size:.85rem;margin:.4rem 0}th,td{border:1px solid #dfe3ea;padding:.2rem .45rem}
th{background:#f3f5f9;text-align:left}td.num{text-align:right;font-variant-numeric:tabular-nums}td.na{color:#98a0ad}
figure{margin:1rem 0}figcaption{font-weight:600;margin-bottom:.3rem}.caption{color:#5b6475;font-size:.85rem}
code{background:#f3f5f9;padding:0 .25rem}.formula{font-family:ui-monospace,monospace;background:#f3f5f9;padding:.3rem .5rem;display:inline-block}
nav ol{columns:2}.warn{color:#8a5a00}.note{color:#5b6475;font-size:.85rem}
`;

/** Inputs of the report page. */
export interface ReportPage {
  title: string;
  subtitle: string;
  sections: AnalysisSection[];
  /** SVG markup per figure id (already rendered). */
  figureSvg: Map<string, string>;
}

/** Builds the complete report page as an HTML string. */
export function renderReportHtml(page: ReportPage): string {
  const nav = page.sections
    .map((s) => `<li><a href="#${escapeHtml(s.id)}">${escapeHtml(s.title)}</a></li>`)
    .join('');
  const body = page.sections
    .map((s) => {
      const parts: string[] = [`<section id="${escapeHtml(s.id)}"><h2>${escapeHtml(s.title)}</h2>`];
      if (s.status === 'not-run') {
        parts.push(
          `<p class="status-not-run"><strong>Not run:</strong> ${escapeHtml(s.reason ?? 'no reason given')}</p>`,
        );
      }
      if (s.description) parts.push(`<p>${escapeHtml(s.description)}</p>`);
      if (s.formula) parts.push(`<p>Model: <span class="formula">${escapeHtml(s.formula)}</span></p>`);
      if (s.n) {
        const n = Object.entries(s.n)
          .filter(([, v]) => v !== undefined)
          .map(([k, v]) => `${escapeHtml(k)}: ${String(v)}`)
          .join(', ');
        if (n) parts.push(`<p class="meta">n — ${n}</p>`);
      }
      if (s.findings && s.findings.length > 0) {
        parts.push(`<ul>${s.findings.map((f) => `<li>${escapeHtml(f)}</li>`).join('')}</ul>`);
      }
      for (const w of s.warnings ?? []) parts.push(`<p class="warn">Warning: ${escapeHtml(w)}</p>`);
      for (const f of s.figures) {
        const svg = page.figureSvg.get(f.id);
        if (!svg) continue;
        parts.push(
          `<figure id="fig-${escapeHtml(f.id)}"><figcaption>${escapeHtml(f.title)} ` +
            `<a href="figures/${escapeHtml(f.id)}.svg">(SVG)</a></figcaption>${svg}` +
            (f.caption ? `<p class="caption">${escapeHtml(f.caption)}</p>` : '') +
            '</figure>',
        );
      }
      for (const t of s.tables) parts.push(tableHtml(t));
      parts.push('</section>');
      return parts.join('\n');
    })
    .join('\n');
  return (
    '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">' +
    `<meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(page.title)}</title>` +
    `<style>${CSS}</style></head><body>` +
    `<header><h1>${escapeHtml(page.title)}</h1><p class="meta">${escapeHtml(page.subtitle)}</p></header>` +
    `<nav><h2>Contents</h2><ol>${nav}</ol></nav>\n${body}\n` +
    '<footer><p class="note">Made by Cartography. Every number in this report is in results.json, unrounded.</p></footer>' +
    '</body></html>\n'
  );
}
