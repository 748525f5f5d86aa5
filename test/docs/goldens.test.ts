/**
 * The R golden-file convention (docs/references/engineering.md §3), checked on the committed files
 * without running R: every test/**\/*.R script either has a `Rscript …` run line in its header (then
 * `npm run goldens` runs it) or is a helper another script sources; every run script records its
 * versions with `golden_meta(…)`; and every golden JSON a script writes carries `generatedWith` with the
 * R version and the version of each package.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { describe, it } from 'node:test';

const root = new URL('../..', import.meta.url).pathname;

function rScripts(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...rScripts(p));
    else if (entry.name.endsWith('.R')) out.push(p);
  }
  return out;
}

function header(text: string): string {
  const lines: string[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('#')) break;
    lines.push(line);
  }
  return lines.join('\n');
}

/** JSON files a script writes: `> x.json` in its header and quoted "….json" names in its code. */
function jsonOutputs(file: string, text: string): string[] {
  const names = new Set<string>();
  for (const m of header(text).matchAll(/>\s*(\S+\.json)/g)) names.add(m[1]!);
  for (const m of text.matchAll(/"([^"\s]+\.json)"/g)) names.add(m[1]!);
  return [...names].map((n) => (n.includes('/') ? join(root, n) : join(dirname(file), n)));
}

const scripts = rScripts(join(root, 'test')).sort();
const texts = new Map(scripts.map((f) => [f, readFileSync(f, 'utf8')]));
const runnable = scripts.filter((f) => /Rscript\s+\S+\.R/.test(header(texts.get(f)!)));

describe('R golden files', () => {
  it('finds the golden scripts', () => {
    assert.ok(runnable.length >= 20, `only ${runnable.length} runnable R scripts`);
  });

  it('every script without a run line is a helper that another script sources', () => {
    for (const f of scripts.filter((s) => !runnable.includes(s))) {
      const name = basename(f);
      const sourcedBy = scripts.filter(
        (o) =>
          o !== f &&
          texts
            .get(o)!
            .split('\n')
            .some((l) => l.includes('source(') && l.includes(name)),
      );
      assert.ok(
        sourcedBy.length > 0,
        `${relative(root, f)}: no "Rscript" run line in its header and no script sources it`,
      );
    }
  });

  it('every run script records its versions and names the JSON it writes', () => {
    for (const f of runnable) {
      const text = texts.get(f)!;
      assert.match(text, /golden_meta\(c\("/, `${relative(root, f)} does not call golden_meta`);
      assert.match(text, /helpers\/golden-meta\.R/, `${relative(root, f)} does not source golden-meta.R`);
      assert.ok(jsonOutputs(f, text).length > 0, `${relative(root, f)}: no JSON output found`);
    }
  });

  it('every golden JSON carries generatedWith: the R version and each package used', () => {
    for (const f of runnable) {
      const text = texts.get(f)!;
      const packages = [...text.matchAll(/golden_meta\(c\(([^)]*)\)\)/g)].flatMap((m) =>
        [...m[1]!.matchAll(/"([^"]+)"/g)].map((p) => p[1]!),
      );
      for (const json of jsonOutputs(f, text)) {
        const name = relative(root, json);
        assert.ok(existsSync(json), `${relative(root, f)} writes ${name}, which is not committed`);
        const g = (JSON.parse(readFileSync(json, 'utf8')) as { generatedWith?: unknown }).generatedWith as
          { R?: unknown; packages?: Record<string, unknown> } | undefined;
        assert.ok(g !== undefined, `${name} has no generatedWith`);
        assert.match(String(g.R), /^R version \d+\.\d+\.\d+/, `${name}: generatedWith.R`);
        for (const p of packages)
          assert.match(String(g.packages?.[p]), /^\d+\.\d+/, `${name}: no version of package ${p}`);
      }
    }
  });
});
