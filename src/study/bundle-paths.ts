/**
 * Paths in a study bundle (docs/study-bundle.md "Paths"): every path a bundle names — its own tables and
 * every file or folder a table points at (scans, masks, RTSTRUCT, SEG, FCS, gating files …) — must,
 * after symlinks are resolved (realpath), lie inside the bundle folder or one of the data roots that
 * study.json declares (`dataRoots`). Anything else (an absolute path elsewhere, a `../..` escape, a
 * symlink pointing out, also one inside a referenced folder) is refused with an InputError naming the
 * file, row, field and value. This is the one place that decides it.
 */
import { existsSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve, sep } from 'node:path';
import { InputError, type ErrorLocation } from '../errors.js';

/** Where a path was named: the table file, its 1-based row and column (or the study.json field). */
export type PathLocation = Pick<ErrorLocation, 'file' | 'row' | 'field'>;

/** The folders a bundle's paths may resolve into: the bundle and its declared data roots. */
export class BundlePaths {
  /** Real paths of the allowed folders (bundle first). */
  readonly roots: string[];

  /**
   * @param dir absolute bundle folder
   * @param dataRoots real absolute paths of the study.json `dataRoots`
   */
  constructor(
    readonly dir: string,
    dataRoots: readonly string[],
  ) {
    this.roots = [realpathSync(dir), ...dataRoots];
  }

  private inside(real: string): boolean {
    return this.roots.some((r) => real === r || real.startsWith(r.endsWith(sep) ? r : r + sep));
  }

  private refuse(p: string, real: string, value: string, at: PathLocation): never {
    const via = real === p ? '' : ` resolves to ${real}, which`;
    throw new InputError(
      `${p}${via} is outside the bundle folder and its data roots (${this.roots.join(', ')}); ` +
        'declare its folder in study.json "dataRoots" or copy it into the bundle',
      { ...at, value },
    );
  }

  /**
   * Resolves `value` (relative to the bundle folder, or absolute) to an absolute path inside the bundle
   * or a data root. A folder's whole content is checked too (a symlink inside pointing out is refused).
   *
   * @returns the absolute path (as written, not the realpath, so reports keep the bundle's names)
   * @throws InputError naming `at` (file, row, field) and the value: not found, or outside every root
   */
  resolve(value: string, at: PathLocation): string {
    const p = isAbsolute(value) ? value : resolve(this.dir, value);
    if (!existsSync(p)) throw new InputError(`file or folder not found: ${p}`, { ...at, value });
    const real = realpathSync(p);
    if (!this.inside(real)) this.refuse(p, real, value, at);
    if (statSync(real).isDirectory()) this.checkFolder(real, value, at, new Set([real]));
    return p;
  }

  /** Every entry under a referenced folder must resolve inside a root too. */
  private checkFolder(folder: string, value: string, at: PathLocation, seen: Set<string>): void {
    for (const e of readdirSync(folder, { withFileTypes: true })) {
      const p = join(folder, e.name);
      if (!e.isSymbolicLink() && !e.isDirectory()) continue;
      if (e.isSymbolicLink() && !existsSync(p)) continue; // a dangling link names no data
      const real = realpathSync(p);
      if (!this.inside(real)) this.refuse(p, real, value, at);
      if (statSync(real).isDirectory() && !seen.has(real)) {
        seen.add(real);
        this.checkFolder(real, value, at, seen);
      }
    }
  }

  /**
   * Checks a table or study.json of the bundle itself (which may be a symlink).
   * @throws InputError naming the file when it resolves outside every root
   */
  checkOwnFile(file: string): void {
    const real = realpathSync(file);
    if (!this.inside(real)) this.refuse(file, real, file, { file });
  }
}
