/**
 * Content hash of a study bundle: SHA-256 over study.json, every CSV table and every file the
 * bundle references (scan series, their CT series, masks, FCS and gating files; a series on a PACS by its UIDs), in a fixed order, each prefixed by its path relative to
 * the bundle (or its absolute path when outside). Two imports with the same hash hold the same data.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync, existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { StudyBundle } from '../study/bundle.js';

function filesUnder(path: string): string[] {
  const st = statSync(path);
  if (!st.isDirectory()) return [path];
  const out: string[] = [];
  for (const e of readdirSync(path, { withFileTypes: true })) {
    const p = join(path, e.name);
    if (e.isDirectory()) out.push(...filesUnder(p));
    else if (e.isFile()) out.push(p);
  }
  return out;
}

/**
 * SHA-256 (hex) of the files at `paths` (a folder: every file below it), in sorted order, each
 * prefixed by its path relative to `baseDir`: the content part of a scan job's key (scan-job.ts).
 * A path that does not exist is hashed by its name only (reading it is then the job's error).
 */
export function filesContentHash(baseDir: string, paths: readonly string[]): string {
  const h = createHash('sha256');
  const files = new Set<string>();
  for (const p of paths) {
    if (existsSync(p)) for (const f of filesUnder(p)) files.add(f);
    else files.add(p);
  }
  for (const f of [...files].sort()) {
    h.update(relative(baseDir, f));
    h.update('\0');
    if (existsSync(f)) h.update(readFileSync(f));
    h.update('\0');
  }
  return h.digest('hex');
}

/** SHA-256 (hex) of the bundle's content, including referenced images and masks. */
export function bundleContentHash(bundle: StudyBundle): string {
  const h = createHash('sha256');
  const files = new Set<string>();
  for (const f of readdirSync(bundle.dir)) {
    if (f === 'study.json' || f.endsWith('.csv')) files.add(join(bundle.dir, f));
  }
  // A series on a PACS is named by its UIDs in scans.csv (hashed above); DICOM UIDs name fixed content.
  for (const s of bundle.scans) if (!s.pacs) for (const f of filesUnder(s.path)) files.add(f);
  // The CT of a PET/CT study feeds stored values (the fused plane's HU): a CT replaced in place changes the hash.
  for (const s of bundle.scans)
    if (s.ctPath !== undefined) for (const f of filesUnder(s.ctPath)) files.add(f);
  for (const v of bundle.vois) files.add(v.maskPath);
  for (const f of bundle.flowFiles) {
    files.add(f.file);
    files.add(f.gating);
  }
  for (const f of [...files].sort()) {
    if (!existsSync(f)) continue;
    h.update(relative(bundle.dir, f));
    h.update('\0');
    h.update(readFileSync(f));
    h.update('\0');
  }
  return h.digest('hex');
}
