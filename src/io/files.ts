/**
 * Reading input files safely: the one place where image readers (NIfTI, NRRD, DICOM) open files.
 *
 *  - Only regular files are read. Symbolic links are followed to their target; a path that is (or
 *    links to) a folder, a device (`/dev/zero`), a FIFO or a socket is refused naming the path, so a
 *    read can never run without end.
 *  - Every read has a byte budget (`MAX_INPUT_BYTES` by default): a larger file is refused before a
 *    byte of it is read.
 *  - gzip is inflated with a limit on the output (node:zlib `maxOutputLength`), so a small file that
 *    inflates to gigabytes (a "gzip bomb") stops at the limit instead of filling memory. Callers pass
 *    the size the header declares (grid × bytes per voxel), checked against the budget before inflating.
 *  - Paths named inside a file (NRRD `data file:`) are resolved and confined to allowed root folders
 *    (`resolveUnderRoots`), after following symbolic links.
 */
import { closeSync, constants, fstatSync, openSync, readSync, realpathSync, statSync } from 'node:fs';
import type { Stats } from 'node:fs';
import { open } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { promisify } from 'node:util';
import { gunzip, gunzipSync, constants as zc, type ZlibOptions } from 'node:zlib';
import { InputError } from '../errors.js';

/**
 * Default memory budget of one input: 2 GiB. A whole-body PET (200×200×600 float32) is ~96 MB and a
 * CT (512×512×1000 int16) ~0.5 GB; anything beyond 2 GiB is refused rather than risking the process.
 */
export const MAX_INPUT_BYTES = 2 * 1024 ** 3;

/** Options of the safe readers. */
export interface SafeReadOptions {
  /** Byte budget (default `MAX_INPUT_BYTES`). */
  maxBytes?: number;
  /** Field to name in errors (e.g. 'data file'). */
  field?: string;
  /** The file to name in errors instead of `path` (e.g. the header that points to it). */
  what?: string;
}

function kindOf(s: Stats): string {
  if (s.isDirectory()) return 'a folder';
  if (s.isCharacterDevice() || s.isBlockDevice()) return 'a device';
  if (s.isFIFO()) return 'a FIFO (named pipe)';
  if (s.isSocket()) return 'a socket';
  return 'not a regular file';
}

/**
 * Checks that `path` is (or links to) a regular file within the byte budget, without opening it.
 * @returns the file's size in bytes.
 * @throws InputError naming the path when it is missing, not a regular file, or over the budget.
 */
export function checkRegularFile(path: string, opts: SafeReadOptions = {}): number {
  let s: Stats;
  try {
    s = statSync(path);
  } catch (e) {
    throw new InputError(`cannot read file: ${(e as Error).message}`, {
      file: path,
      ...(opts.field ? { field: opts.field } : {}),
    });
  }
  return checkStats(s, path, opts);
}

function checkStats(s: Stats, path: string, opts: SafeReadOptions): number {
  const field = opts.field ? { field: opts.field } : {};
  if (!s.isFile()) {
    throw new InputError(`${kindOf(s)}, not a regular file: refused`, { file: path, ...field });
  }
  const max = opts.maxBytes ?? MAX_INPUT_BYTES;
  if (s.size > max) {
    throw new InputError(`file is ${s.size} bytes, over the ${max}-byte budget of one input`, {
      file: path,
      ...field,
      value: s.size,
    });
  }
  return s.size;
}

/** Opens read-only and non-blocking: a FIFO swapped in after the check does not hang the open. */
const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0);

/**
 * Reads a whole regular file (following symbolic links) within the byte budget.
 * @throws InputError naming the path for a missing file, a folder/device/FIFO/socket, or a file over
 *   the budget.
 */
export function readRegularFileSync(path: string, opts: SafeReadOptions = {}): Uint8Array {
  return readWholeSync(path, opts, (size) => Buffer.allocUnsafe(size));
}

/**
 * `readRegularFileSync` into one preallocated `SharedArrayBuffer` (read straight from the file, no
 * intermediate copy): typed-array views on it can be shared with worker threads (src/parallel/pool.ts).
 * The returned bytes span the whole buffer unless the file shrank while being read.
 * @throws InputError as `readRegularFileSync`.
 */
export function readRegularFileSharedSync(path: string, opts: SafeReadOptions = {}): Uint8Array {
  return readWholeSync(path, opts, (size) => new Uint8Array(new SharedArrayBuffer(size)));
}

/** Opens, checks (fstat) and reads the whole file into the array `alloc(size)` gives. */
function readWholeSync(path: string, opts: SafeReadOptions, alloc: (size: number) => Uint8Array): Uint8Array {
  checkRegularFile(path, opts);
  let fd: number;
  try {
    fd = openSync(path, OPEN_FLAGS);
  } catch (e) {
    throw new InputError(`cannot read file: ${(e as Error).message}`, { file: path });
  }
  try {
    const size = checkStats(fstatSync(fd), path, opts);
    const out = alloc(size);
    let got = 0;
    while (got < size) {
      const n = readSync(fd, out, got, size - got, got);
      if (n === 0) break;
      got += n;
    }
    return got === size ? out : out.subarray(0, got);
  } catch (e) {
    if (e instanceof InputError) throw e;
    throw new InputError(`cannot read file: ${(e as Error).message}`, { file: path });
  } finally {
    closeSync(fd);
  }
}

/** `readRegularFileSync`, asynchronously (for series folders read in parallel). */
export async function readRegularFile(path: string, opts: SafeReadOptions = {}): Promise<Uint8Array> {
  checkRegularFile(path, opts);
  let h;
  try {
    h = await open(path, OPEN_FLAGS);
  } catch (e) {
    throw new InputError(`cannot read file: ${(e as Error).message}`, { file: path });
  }
  try {
    const size = checkStats(await h.stat(), path, opts);
    const out = Buffer.allocUnsafe(size);
    let got = 0;
    while (got < size) {
      const { bytesRead } = await h.read(out, got, size - got, got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    return got === size ? out : out.subarray(0, got);
  } catch (e) {
    if (e instanceof InputError) throw e;
    throw new InputError(`cannot read file: ${(e as Error).message}`, { file: path });
  } finally {
    await h.close();
  }
}

/** True when the bytes start with the gzip magic number. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/**
 * Inflates gzip data, stopping with an error once the output would exceed `maxBytes`.
 * @param bytes gzip data; @param maxBytes output limit (the size the header declares, at most the budget).
 * @throws InputError naming `file` (and `opts.field`) when the stream is corrupt or inflates to more
 *   than `maxBytes`.
 */
export function gunzipBounded(
  bytes: Uint8Array,
  maxBytes: number,
  file: string,
  opts: { field?: string } = {},
): Uint8Array {
  const options = boundedInflateOptions(maxBytes, file, opts);
  try {
    return gunzipSync(bytes, options).subarray(0);
  } catch (e) {
    throw inflateError(e, maxBytes, file, opts);
  }
}

/**
 * `gunzipBounded` in zlib's thread pool: the event loop stays free while a large volume inflates (a
 * server reading a scan for a viewer goes on answering other requests).
 * @throws InputError as `gunzipBounded`
 */
export async function gunzipBoundedAsync(
  bytes: Uint8Array,
  maxBytes: number,
  file: string,
  opts: { field?: string } = {},
): Promise<Uint8Array> {
  const options = boundedInflateOptions(maxBytes, file, opts);
  try {
    return (await gunzipAsync(bytes, options)).subarray(0);
  } catch (e) {
    throw inflateError(e, maxBytes, file, opts);
  }
}

const gunzipAsync = promisify(gunzip);

/** zlib options of a bounded inflate; @throws InputError when `maxBytes` is over the budget */
function boundedInflateOptions(maxBytes: number, file: string, opts: { field?: string }): ZlibOptions {
  if (!(maxBytes >= 0) || maxBytes > MAX_INPUT_BYTES) {
    throw new InputError(`declared data size ${maxBytes} bytes is over the ${MAX_INPUT_BYTES}-byte budget`, {
      file,
      ...(opts.field ? { field: opts.field } : {}),
      value: maxBytes,
    });
  }
  // +1: a stream that inflates to exactly maxBytes passes; one byte more is refused.
  // Output in one chunk of the declared size (up to 256 MiB): zlib's default 16 KiB chunks are joined
  // by a copy at the end, which doubles the memory touched (~0.3 s for a 64 MB volume read cold).
  const chunkSize = Math.min(Math.max(64, maxBytes), 256 * 1024 ** 2);
  return { maxOutputLength: Math.max(1, maxBytes + 1), chunkSize };
}

/** The InputError of a failed bounded inflate (over `maxBytes`, or a corrupt stream). */
function inflateError(e: unknown, maxBytes: number, file: string, opts: { field?: string }): InputError {
  const field = opts.field ? { field: opts.field } : {};
  const err = e as NodeJS.ErrnoException;
  if (err.code === 'ERR_BUFFER_TOO_LARGE' || err instanceof RangeError) {
    return new InputError(`gzip data inflate to more than the ${maxBytes} bytes the header declares`, {
      file,
      ...field,
      value: maxBytes,
    });
  }
  return new InputError(`corrupt gzip stream: ${err.message}`, { file, ...field });
}

/**
 * The first bytes (up to `n`, fewer when the stream is shorter) of gzip data, inflating only a
 * bounded prefix of the input (never more than a few MB of output): to read a header before deciding
 * how much to inflate.
 * @throws InputError naming `file` when the stream is corrupt.
 */
export function gunzipPrefix(bytes: Uint8Array, n: number, file: string): Uint8Array {
  // Deflate expands at most ~1032:1: 32 kB of input give at most ~34 MB of output.
  for (let k = 1024; k <= 32768; k *= 4) {
    const part = bytes.subarray(0, Math.min(bytes.length, k));
    let out: Buffer;
    try {
      out = gunzipSync(part, { finishFlush: zc.Z_SYNC_FLUSH, maxOutputLength: 64 << 20 });
    } catch (e) {
      throw new InputError(`corrupt gzip stream: ${(e as Error).message}`, { file });
    }
    if (out.length >= n || part.length === bytes.length) return out.subarray(0, Math.min(n, out.length));
  }
  throw new InputError(`gzip stream holds no header in its first 32 kB`, { file });
}

/**
 * Resolves `name` (relative to `baseDir`, or absolute) and checks that the target, after following
 * symbolic links, lies inside one of `roots`.
 * @returns the resolved path.
 * @throws InputError naming `file` and `field` when the path leaves every root.
 */
export function resolveUnderRoots(
  name: string,
  baseDir: string,
  roots: readonly string[],
  loc: { file: string; field: string },
): string {
  const p = resolve(baseDir, name);
  const inside = (path: string, root: string): boolean => {
    const rel = relative(root, path);
    return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
  };
  // First the path as written, then its target after following symbolic links.
  if (roots.some((r) => inside(p, resolve(r)))) {
    let real: string;
    try {
      real = realpathSync(p);
    } catch (e) {
      throw new InputError(`cannot read ${loc.field}: ${(e as Error).message}`, { ...loc, value: name });
    }
    for (const r of roots) {
      let root: string;
      try {
        root = realpathSync(r);
      } catch {
        continue;
      }
      if (inside(real, root)) return p;
    }
  }
  throw new InputError(`path leaves the allowed folders (${roots.join(', ')}): refused`, {
    ...loc,
    value: name,
  });
}
