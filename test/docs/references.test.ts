/**
 * Citations of docs/references/ cannot dangle: every `docs/references/<file>.md §N` in src/ names an
 * existing file with a numbered heading N, the reference files' own cross-references (`trial.md §4`)
 * resolve, and no source still cites the documents outside the repository (SPEC, seeds, notes).
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';

const root = new URL('../..', import.meta.url).pathname;
const refsDir = join(root, 'docs', 'references');

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sourceFiles(p));
    else if (/\.(ts|mts|js|mjs)$/.test(entry.name)) out.push(p);
  }
  return out;
}

/** Section numbers of a reference file: its numbered headings (`## 3. …`, `### 3.2 …`). */
function sectionsOf(markdown: string): Set<string> {
  const out = new Set<string>();
  for (const m of markdown.matchAll(/^#{2,4}\s+(\d+(?:\.\d+)*)\.?\s/gm)) out.add(m[1]!);
  return out;
}

interface Citation {
  where: string;
  file: string;
  sections: string[];
}

/**
 * Citations in one text. `prefix` is the path written before the file name ('docs/references/' in
 * source code, '' inside the reference files). Each § after the file name, up to the next `;`, `)`,
 * end of line or next citation, belongs to that file: `imaging.md §1–§6` gives 1 and 6.
 */
function citationsIn(text: string, where: string, prefix: string): Citation[] {
  const p = prefix.replace(/[/.]/g, '\\$&');
  const re = new RegExp(`${p}([a-z0-9-]+\\.md)((?:(?!${p || '[a-z0-9-]+\\.md'})[^;)\\n])*)`, 'g');
  const out: Citation[] = [];
  const lines = text.split('\n');
  lines.forEach((line, i) => {
    if (prefix === '' && line.includes('docs/references/')) return;
    for (const m of line.matchAll(re)) {
      if (prefix === '' && m.index > 0 && /[\w/]/.test(line[m.index - 1]!)) continue;
      const sections = [...m[2]!.matchAll(/§(\d+(?:\.\d+)*)/g)].map((s) => s[1]!);
      out.push({ where: `${where}:${i + 1}`, file: m[1]!, sections });
    }
  });
  return out;
}

/** The citations among `cites` that point to a missing file or section. */
function dangling(cites: Citation[]): string[] {
  const bad: string[] = [];
  const cache = new Map<string, Set<string> | null>();
  for (const c of cites) {
    if (!cache.has(c.file)) {
      const path = join(refsDir, c.file);
      cache.set(c.file, existsSync(path) ? sectionsOf(readFileSync(path, 'utf8')) : null);
    }
    const sections = cache.get(c.file);
    if (sections === null || sections === undefined) bad.push(`${c.where}: no docs/references/${c.file}`);
    else for (const s of c.sections) if (!sections.has(s)) bad.push(`${c.where}: ${c.file} has no §${s}`);
  }
  return bad;
}

describe('docs/references citations', () => {
  const srcCites = sourceFiles(join(root, 'src')).flatMap((f) =>
    citationsIn(readFileSync(f, 'utf8'), relative(root, f), 'docs/references/'),
  );

  it('src/ cites the reference files, each citation with a section', () => {
    assert.ok(srcCites.length >= 40, `only ${srcCites.length} citations found in src/`);
    const files = new Set(srcCites.map((c) => c.file));
    for (const f of ['imaging.md', 'statistics.md', 'clinical.md', 'assays.md', 'trial.md', 'engineering.md'])
      assert.ok(files.has(f), `no citation of docs/references/${f} in src/`);
    const noSection = srcCites.filter((c) => c.sections.length === 0).map((c) => c.where);
    assert.deepEqual(noSection, [], 'citations without a § number');
  });

  it('every citation in src/ names an existing file and section', () => {
    assert.deepEqual(dangling(srcCites), []);
  });

  it("the reference files' cross-references resolve", () => {
    const cites = readdirSync(refsDir)
      .filter((f) => f.endsWith('.md'))
      .flatMap((f) => citationsIn(readFileSync(join(refsDir, f), 'utf8'), `docs/references/${f}`, ''))
      .filter((c) => c.file !== 'README.md');
    assert.ok(cites.length > 0);
    assert.deepEqual(dangling(cites), []);
  });

  it('no source cites the documents outside the repository', () => {
    const legacy = /SPEC §|\bseed 00\d|-reference §|shared\/notes\/|shared\/seeds\//;
    const hits = sourceFiles(join(root, 'src')).flatMap((f) =>
      readFileSync(f, 'utf8')
        .split('\n')
        .flatMap((line, i) => (legacy.test(line) ? [`${relative(root, f)}:${i + 1}: ${line.trim()}`] : [])),
    );
    assert.deepEqual(hits, []);
  });

  it('the checker itself finds a dangling file and a dangling section', () => {
    const text = [
      ' * SUV (docs/references/imaging.md §1–§6; IBSI)',
      ' * nothing here (docs/references/no-such-file.md §1)',
      ' * too far (docs/references/imaging.md §99)',
    ].join('\n');
    const cites = citationsIn(text, 'fake.ts', 'docs/references/');
    assert.deepEqual(
      cites.map((c) => [c.file, c.sections]),
      [
        ['imaging.md', ['1', '6']],
        ['no-such-file.md', ['1']],
        ['imaging.md', ['99']],
      ],
    );
    assert.deepEqual(dangling(cites), [
      'fake.ts:2: no docs/references/no-such-file.md',
      'fake.ts:3: imaging.md has no §99',
    ]);
  });
});
