/**
 * A stored scan's images for a viewer: its SUV volume and a label map of its VOIs, both on the PET
 * grid (`/api/scans/{id}/suv.nii.gz`, `labels.nii.gz`, `display.nii.gz`, `voxel`). The SUV image is
 * loaded exactly as the import quantified it (`loadSuv` of src/pipeline/quantify.ts: the same net
 * injected activity, the same data roots), and each mask is put on the grid by the same readers
 * (src/io/imaging-inputs.ts), so what the viewer shows is what was measured.
 *
 * `ScanImageCache` keeps the decoded volumes of recently opened scans, each held as the bytes of its
 * NIfTI-1 file (`encodeNifti`) with the volume's voxels a view on them: the voxel readout reads them in
 * place, a display volume is quantized from them without inflating anything, and the gzip files are
 * deflated from them in zlib's thread pool, once, when first asked for (`ScanImages.derived`).
 */
import { statSync } from 'node:fs';
import { promisify } from 'node:util';
import { Readable } from 'node:stream';
import { constants as zlibConstants, createGzip, gzip } from 'node:zlib';
import { CartoError, InputError } from '../errors.js';
import type { Volume } from '../imaging/volume.js';
import { encodeNifti } from '../io/nifti.js';
import { labelMapOnGrid, rtstructMaskOnGrid } from '../io/imaging-inputs.js';
import type { Scan, Voi } from '../study/model.js';
import { loadSuv, sphereVoiMask } from './quantify.js';
import type { ViewerImageStore } from './viewer-images.js';
import { DEFAULT_WINDOW_MAX_SUV, displayNifti } from '../io/display-nifti.js';
import { niftiVoxels } from '../io/nifti-voxels.js';
import { isSphereRef, voiSphere } from '../study/voi-sphere.js';

const gzipAsync = promisify(gzip);

/** Where a scan's files are and how its SUV was computed (from the stored study). */
export interface ScanSource {
  scan: Scan;
  /** Net injected activity (Bq) of the scan's tracer_injection event, when the study gave one. */
  netDoseBq?: number;
  /** The bundle folder and its data roots (NRRD `data file:` may point into them). */
  dataRoots: readonly string[];
}

/**
 * The label value of each VOI in `scanLabelMap`: organs first, then lesions, each by VOI id, numbered
 * from 1. A voxel in two VOIs carries the later one's value (a lesion inside an organ shows as the lesion).
 */
export function voiLabelValues(vois: readonly Pick<Voi, 'voiId' | 'kind'>[]): Map<string, number> {
  const order = [...vois].sort(
    (a, b) =>
      (a.kind === 'organ' ? 0 : 1) - (b.kind === 'organ' ? 0 : 1) ||
      (a.voiId < b.voiId ? -1 : a.voiId > b.voiId ? 1 : 0),
  );
  return new Map(order.map((v, i) => [v.voiId, i + 1]));
}

/** A label map's voxels: uint8, or uint16 past 255 VOIs. */
export type LabelMapData = Uint8Array | Uint16Array;

/**
 * The scan's SUV volume (g/mL, float32), as `loadSuv` gives it.
 * @throws InputError naming the file when the image cannot be read (e.g. the bundle is not on this machine)
 */
export async function loadScanSuv(src: ScanSource): Promise<Volume<Float32Array>> {
  const opts = {
    matvThresholdSuv: 0, // not used for loading
    ...(src.netDoseBq !== undefined ? { netDoseBq: src.netDoseBq } : {}),
    dataRoots: src.dataRoots,
  };
  return (await loadSuv(src.scan, opts)).volume;
}

/**
 * The label map of the scan's VOIs on the grid of its SUV volume `grid` (values from `voiLabelValues`;
 * uint8, or uint16 past 255 VOIs; 0: no VOI). Each mask file is read once.
 * @throws InputError naming the file when a mask cannot be read or put on the grid, or (vois.csv) when
 *   a sphere VOI covers no voxel centre
 */
export async function scanLabelMap(
  src: ScanSource,
  vois: readonly Voi[],
  grid: Volume<Float32Array>,
): Promise<Volume<LabelMapData>> {
  const n = grid.data.length;
  const data = vois.length > 255 ? new Uint16Array(n) : new Uint8Array(n);
  const values = voiLabelValues(vois);
  const ordered = [...vois].sort((a, b) => values.get(a.voiId)! - values.get(b.voiId)!);
  const roots = { dataRoots: src.dataRoots };
  const labelMaps = new Map<string, ArrayLike<number>>();
  for (const v of ordered) {
    const value = values.get(v.voiId)!;
    const sphere = voiSphere(v);
    if (sphere) {
      const mask = sphereVoiMask(v, sphere, grid);
      for (let q = 0; q < n; q++) if (mask[q]) data[q] = value;
    } else if (v.maskLabel !== null) {
      let labels = labelMaps.get(v.maskPath);
      if (!labels) {
        labels = labelMapOnGrid(v.maskPath, grid, roots).volume.data;
        labelMaps.set(v.maskPath, labels);
      }
      for (let q = 0; q < n; q++) if (labels[q] === v.maskLabel) data[q] = value;
    } else {
      const { mask } = await rtstructMaskOnGrid(v.maskPath, v.roiName ?? undefined, grid);
      for (let q = 0; q < n; q++) if (mask[q]) data[q] = value;
    }
  }
  return { ...grid, data, unit: 'label' };
}

/**
 * gzip of `bytes` for the viewer, deflated in zlib's thread pool (the event loop stays free): level 1
 * with the run-length strategy (Z_RLE: matches at distance 1 only). The files are built once per scan
 * and cached; on loopback their size hardly matters, the build time does. On a 200×200×400 noisy SUV
 * (bench/web-viewer.bench.ts) Z_RLE took half the time of plain level 1 and gave slightly smaller files
 * (suv.nii 37.7 vs 37.9 MB, display 7.5 vs 7.7 MB, labels 16 vs 71 kB): the noisy float bits hold
 * no longer matches worth the search, and air and the label map are runs.
 */
export async function gzipFast(bytes: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await gzipAsync(bytes, GZIP_FAST));
}

/** `gzipFast`'s zlib options. */
const GZIP_FAST = { level: 1, strategy: zlibConstants.Z_RLE, chunkSize: 1 << 20 };

/**
 * A gzip file (`gzipFast`'s settings, deflated in zlib's thread pool) that can be read while it is
 * being deflated: `stream()` gives the compressed bytes from the first, as they come, so a client gets
 * them while the rest is deflated (a 16 MB display volume takes 0.1–0.25 s to deflate here).
 */
export class GzipFile {
  private readonly chunks: Buffer[] = [];
  private ended = false;
  private failure: Error | null = null;
  private readonly waiting = new Set<() => void>();
  /** Resolves when the uncompressed bytes are in and deflating has begun; rejects as the source does. */
  readonly started: Promise<void>;
  /** The whole gzip file, when deflated. */
  readonly whole: Promise<Uint8Array>;

  /** Deflates what `source` gives; `{ gzip }` is a gzip file already (a stored one): sent as it is. */
  constructor(source: () => Promise<Uint8Array | { gzip: Uint8Array }>) {
    const bytes = source();
    this.started = bytes.then(() => undefined);
    this.started.catch(() => undefined); // rejects as `whole` does, where awaited
    this.whole = bytes.then((b) => (b instanceof Uint8Array ? this.deflate(b) : this.take(b.gzip)));
    this.whole.catch((e: unknown) => {
      this.failure = e instanceof Error ? e : new Error(`gzip: ${String(e)}`);
      this.wake();
    });
  }

  /** Whether the whole file is deflated (`whole` then resolves at once). */
  get done(): boolean {
    return this.ended;
  }

  /** The gzip bytes from the first: those deflated so far, then each chunk as it is deflated. */
  stream(): Readable {
    let next = 0;
    const out: Readable = new Readable({ read: () => pump() });
    const pump = (): void => {
      while (next < this.chunks.length) if (!out.push(this.chunks[next++])) return;
      if (this.failure) out.destroy(this.failure);
      else if (this.ended) out.push(null);
      else this.waiting.add(pump);
    };
    return out;
  }

  private take(gzip: Uint8Array): Uint8Array {
    this.chunks.push(Buffer.from(gzip.buffer, gzip.byteOffset, gzip.byteLength));
    this.ended = true;
    this.wake();
    return gzip;
  }

  private async deflate(bytes: Uint8Array): Promise<Uint8Array> {
    const gz = createGzip(GZIP_FAST);
    const end = new Promise<void>((resolve, reject) => {
      gz.on('end', resolve);
      gz.on('error', reject);
    });
    gz.on('data', (c: Buffer) => {
      this.chunks.push(c);
      this.wake();
    });
    // 1 MiB at a time (views, no copy), so the first compressed chunks come early
    for (let at = 0; at < bytes.byteLength; at += GZIP_FAST.chunkSize)
      gz.write(bytes.subarray(at, at + GZIP_FAST.chunkSize));
    gz.end();
    await end;
    this.ended = true;
    this.wake();
    return new Uint8Array(Buffer.concat(this.chunks));
  }

  private wake(): void {
    const waiting = [...this.waiting];
    this.waiting.clear();
    for (const w of waiting) w();
  }
}

/** A scan file's path, modification time (ms since the epoch) and size (bytes). */
interface FileStat {
  path: string;
  mtimeMs: number;
  size: number;
}

/**
 * The scan's image file (a DICOM folder's own modification time) and its VOIs' mask files, stat'ed.
 * @throws InputError naming the file when it does not exist on this machine
 */
function scanFileStats(src: ScanSource, vois: readonly Voi[]): FileStat[] {
  const files = vois.filter((v) => !isSphereRef(v.maskPath)).map((v) => v.maskPath);
  return [src.scan.path, ...new Set(files)].map((path) => {
    try {
      const { mtimeMs, size } = statSync(path);
      return { path, mtimeMs, size };
    } catch {
      throw new InputError('the image is not on this machine', { file: path });
    }
  });
}

/** `scanFilesFingerprint` of stat'ed files. */
const fingerprintOf = (stats: readonly FileStat[]): string =>
  stats.map((f) => `${f.path}\u0000${f.mtimeMs}\u0000${f.size}`).join('\u0001');

/**
 * The scan's files, with their modification time and size: the cache key's part that changes when a
 * file is replaced, added to or removed from a DICOM folder (a folder's mtime), or moved away.
 * @throws InputError naming the file when it does not exist on this machine
 */
export function scanFilesFingerprint(src: ScanSource, vois: readonly Voi[]): string {
  return fingerprintOf(scanFileStats(src, vois));
}

/** A volume held as its NIfTI-1 file: `nifti` (encodeNifti's bytes), `volume.data` a view on its voxels. */
export interface NiftiVolume<T extends Float32Array | LabelMapData> {
  volume: Volume<T>;
  nifti: Uint8Array;
}

/** encodeNifti's vox_offset: the voxels of its files start at this byte. */
const VOX_OFFSET = 352;

/**
 * `volume` as a NIfTI-1 file (the bytes of `encodeNifti`) and a view on the file's voxels. When the
 * voxels already sit at byte 352 of an (unshared) buffer of exactly the file's size, as `readNifti`
 * leaves those of a .nii.gz it inflated, the header is written in front of them, in place of the source
 * file's: no copy of the volume (~0.2 s for 64 MB). Else the voxels are copied (`encodeNifti`).
 */
function asNiftiVolume<T extends Float32Array | LabelMapData>(
  volume: Volume<T>,
  description: string,
): NiftiVolume<T> {
  const d = volume.data;
  const inPlace =
    d.buffer instanceof ArrayBuffer &&
    d.byteOffset === VOX_OFFSET &&
    d.buffer.byteLength === VOX_OFFSET + d.byteLength &&
    volume.size.every((n) => n <= 32767); // else encodeNifti names the error
  if (!inPlace) {
    const nifti = encodeNifti(volume, { description });
    const View = d.constructor as new (b: ArrayBufferLike, at: number, n: number) => T;
    return { volume: { ...volume, data: new View(nifti.buffer, VOX_OFFSET, d.length) }, nifti };
  }
  // encodeNifti's header of one voxel on the same grid (the geometry does not depend on the size),
  // with the volume's dimensions
  const one = d.slice(0, 1) as T;
  const header = encodeNifti({ ...volume, size: [1, 1, 1], data: one }, { description }).subarray(
    0,
    VOX_OFFSET,
  );
  const nifti = new Uint8Array(d.buffer, 0, d.buffer.byteLength);
  nifti.set(header);
  const dv = new DataView(d.buffer);
  for (let a = 0; a < 3; a++) dv.setInt16(42 + 2 * a, volume.size[a]!, true);
  return { volume, nifti };
}

/** The scan's SUV (a volume nobody else holds: see `asNiftiVolume`) as the viewer's suv.nii. */
export function suvNiftiVolume(suv: Volume<Float32Array>, scanId: string): NiftiVolume<Float32Array> {
  return asNiftiVolume(suv, `SUV g/mL, scan ${scanId}`);
}

/** The scan's VOI label map (`scanLabelMap`) as the viewer's labels.nii. */
export function labelsNiftiVolume(labels: Volume<LabelMapData>, scanId: string): NiftiVolume<LabelMapData> {
  return asNiftiVolume(labels, `VOI labels, scan ${scanId}`);
}

/** How many windows' display volumes are kept per scan (the viewer's presets are three). */
const DISPLAYS_PER_SCAN = 4;

/** How a cache builds a scan's volumes (tests count builds through their own). */
export interface ScanImageLoaders {
  /**
   * The SUV volume (g/mL, float32): default `loadScanSuv`. The cache takes its buffer over (see
   * `asNiftiVolume`): a loader returns a volume nobody else holds.
   */
  suv: (src: ScanSource) => Promise<Volume<Float32Array>>;
  /** The label map on the SUV's grid: default `scanLabelMap`. */
  labels: (src: ScanSource, vois: readonly Voi[], suv: Volume<Float32Array>) => Promise<Volume<LabelMapData>>;
}

/** Options of `ScanImageCache`. */
export interface ScanImageCacheOptions {
  /** The budget (bytes) of every kept scan's volumes and derived files; default 768 MiB. */
  maxBytes?: number;
  loaders?: ScanImageLoaders;
  /**
   * The viewer's images on disk (src/pipeline/viewer-images.ts): a scan whose job key has an entry is
   * read from it (no decoding); one built from its files is written to it afterwards.
   */
  store?: ViewerImageStore;
  /** Told when writing a scan's images to `store` failed (the server logs it; the images still serve). */
  onStoreError?: (e: unknown) => void;
}

/** A scan's entry in the viewer's images on disk: the store, the scan's job key, and its failures. */
export interface StoredEntry {
  store: ViewerImageStore;
  key: string;
  onError: (e: unknown) => void;
}

/** What a `ScanImages` entry asks of its cache: the budget's accounting and forgetting a failed build. */
interface EntryOwner {
  grow(entry: ScanImages, bytes: number): void;
  forget(entry: ScanImages): void;
}

/**
 * One scan's images in a `ScanImageCache`, built in stages on first use: the SUV volume (`suv`), the
 * label map (`labels`, which waits for the SUV's grid; nothing waits for it that needs only the SUV),
 * and files derived from them (`derived`). Concurrent asks share one build; a failed build is not kept
 * (the next ask builds anew).
 */
export class ScanImages {
  private suvBuild: Promise<NiftiVolume<Float32Array>> | undefined;
  private labelsBuild: Promise<NiftiVolume<LabelMapData>> | undefined;
  /** The label map read from the store with the SUV (`suv`), when it was. */
  private storedLabels: NiftiVolume<LabelMapData> | null = null;
  private readonly files = new Map<string, Promise<Uint8Array>>();
  private readonly gzips = new Map<string, GzipFile>();
  private readonly fileBytes = new Map<string, number>();
  private readonly groups = new Map<string, string[]>();
  /** Bytes of the kept volumes and files (what the cache's budget counts). */
  bytes = 0;

  /** @internal built by `ScanImageCache.scan` */
  constructor(
    readonly key: string,
    private readonly src: ScanSource,
    private readonly vois: readonly Voi[],
    private readonly loaders: ScanImageLoaders,
    private owner: EntryOwner | null,
    private readonly stored: StoredEntry | null = null,
  ) {}

  /**
   * The SUV volume (g/mL, float32) and its NIfTI-1 file (suv.nii).
   * @throws InputError from the loader (naming the file; the entry leaves the cache)
   */
  suv(): Promise<NiftiVolume<Float32Array>> {
    this.suvBuild ??= (async () => {
      try {
        const hit = await this.stored?.store.readVolumes(this.stored.key);
        if (hit) {
          this.storedLabels = this.keep(hit.labels);
          return this.keep(hit.suv);
        }
        const suv = await this.loaders.suv(this.src);
        if (this.stored) setImmediate(() => void this.writeStored(this.stored!));
        return this.keep(suvNiftiVolume(suv, this.src.scan.scanId));
      } catch (e) {
        this.owner?.forget(this);
        this.owner = null;
        throw e;
      }
    })();
    return this.suvBuild;
  }

  /**
   * The VOI label map on the SUV's grid and its NIfTI-1 file (labels.nii).
   * @throws InputError from the SUV or the label map's loader (naming the file; not kept)
   */
  labels(): Promise<NiftiVolume<LabelMapData>> {
    this.labelsBuild ??= (async () => {
      const { volume } = await this.suv();
      if (this.storedLabels) return this.storedLabels; // read with the SUV from the store
      // after the SUV's waiters: what needs only the SUV starts before the (synchronous) masks are read
      await new Promise<void>((go) => setImmediate(go));
      const labels = await this.loaders.labels(this.src, this.vois, volume);
      return this.keep(labelsNiftiVolume(labels, this.src.scan.scanId));
    })();
    const build = this.labelsBuild;
    build.catch(() => {
      if (this.labelsBuild === build) this.labelsBuild = undefined;
    });
    return build;
  }

  /**
   * display.nii.gz in window [0, `windowMax`] (`displayNifti`, src/io/display-nifti.ts), gzip
   * (`GzipFile`), built once per window (the last `DISPLAYS_PER_SCAN` windows kept), or read from the
   * store when it has that window.
   */
  display(windowMax: number): GzipFile {
    return this.gzipFile(
      `display.nii.gz?windowMax=${windowMax}`,
      async () => {
        const gzip = await this.stored?.store.readDisplay(this.stored.key, windowMax);
        if (gzip) return { gzip };
        return new Uint8Array(displayNifti(niftiVoxels('suv.nii', (await this.suv()).nifti), windowMax));
      },
      { name: 'display', keep: DISPLAYS_PER_SCAN },
    );
  }

  /**
   * Writes the images built from the scan's files to the store (`StoredEntry`): the SUV, the label map
   * and the display volume in the window the viewer opens in. Never rejects: a failure goes to `onError`.
   */
  private async writeStored({ store, key, onError }: StoredEntry): Promise<void> {
    try {
      const windowMax = DEFAULT_WINDOW_MAX_SUV;
      const [suv, labels, displayGz] = await Promise.all([
        this.suv(),
        this.labels(),
        this.display(windowMax).whole,
      ]);
      await store.write(key, { suvNifti: suv.nifti, labelsNifti: labels.nifti, displayGz, windowMax });
    } catch (e) {
      if (!(e instanceof CartoError)) onError(e); // a scan that cannot be read: its routes say so
    }
  }

  /**
   * The SUV (g/mL, float32) and the label value at one voxel, with the grid size. Read from the loaded
   * volumes when they are in or on their way; else from the store's files when the scan has an entry
   * (a few bytes: nothing is loaded); else the volumes are loaded.
   * @param pick gets the grid size (i, j, k) and returns the voxel's index in file order (i fastest), or
   *   throws (e.g. an InputError for a voxel outside the grid), which this call then throws
   * @throws InputError from the loaders (naming the file), or what `pick` throws
   */
  async voxel(
    pick: (size: [number, number, number]) => number,
  ): Promise<{ size: [number, number, number]; suv: number; labelValue: number }> {
    if (!this.suvBuild && this.stored) {
      const v = await this.stored.store.readVoxel(this.stored.key, pick);
      if (v) return v;
    }
    const [suv, labels] = await Promise.all([this.suv(), this.labels()]);
    const size = [...suv.volume.size] as [number, number, number];
    const q = pick(size);
    return { size, suv: suv.volume.data[q]!, labelValue: labels.volume.data[q]! };
  }

  /** suv.nii.gz: the SUV's NIfTI-1 file, gzip (`GzipFile`), built once. */
  suvGz(): GzipFile {
    return this.gzipFile('suv.nii.gz', async () => (await this.suv()).nifti);
  }

  /** labels.nii.gz: the label map's NIfTI-1 file, gzip (`GzipFile`), built once. */
  labelsGz(): GzipFile {
    return this.gzipFile('labels.nii.gz', async () => (await this.labels()).nifti);
  }

  /** The whole of `suvGz`. */
  suvNiftiGz(): Promise<Uint8Array> {
    return this.suvGz().whole;
  }

  /** The whole of `labelsGz`. */
  labelsNiftiGz(): Promise<Uint8Array> {
    return this.labelsGz().whole;
  }

  /**
   * A gzip file (`GzipFile`) of bytes derived from the scan's volumes (`source`), kept as `derived`
   * keeps a file (same name, group and budget), readable while it is deflated.
   * @throws (its `started` and `whole` reject with) what `source` throws; not kept
   */
  gzipFile(
    name: string,
    source: () => Promise<Uint8Array | { gzip: Uint8Array }>,
    group?: { name: string; keep: number },
  ): GzipFile {
    const kept = this.gzips.get(name);
    if (kept && this.files.has(name)) return kept;
    const file = new GzipFile(source);
    this.gzips.set(name, file);
    this.derived(name, () => file.whole, group).catch(() => {
      if (this.gzips.get(name) === file) this.gzips.delete(name);
    });
    return file;
  }

  /**
   * A file derived from the scan's volumes, built by `build` on the first ask for `name` and kept with
   * the entry (its bytes count in the cache's budget). With `group`, at most `group.keep` files of that
   * group are kept (the oldest built is dropped first), e.g. display volumes per window.
   * @throws what `build` throws (not kept)
   */
  derived(
    name: string,
    build: () => Promise<Uint8Array>,
    group?: { name: string; keep: number },
  ): Promise<Uint8Array> {
    const kept = this.files.get(name);
    if (kept) return kept;
    const built = build().then((bytes) => {
      if (this.files.get(name) === built) {
        this.fileBytes.set(name, bytes.byteLength);
        this.grow(bytes.byteLength);
      }
      return bytes;
    });
    this.files.set(name, built);
    built.catch(() => {
      if (this.files.get(name) === built) this.files.delete(name);
    });
    if (group) {
      const names = this.groups.get(group.name) ?? [];
      this.groups.set(group.name, names);
      if (names.includes(name)) names.splice(names.indexOf(name), 1); // a failed build's name
      names.push(name);
      while (names.length > group.keep) this.dropFile(names.shift()!);
    }
    return built;
  }

  /** @internal the cache let the entry go: its builds finish for their callers, uncounted */
  detach(): void {
    this.owner = null;
  }

  private dropFile(name: string): void {
    this.files.delete(name);
    this.gzips.delete(name);
    this.grow(-(this.fileBytes.get(name) ?? 0));
    this.fileBytes.delete(name);
  }

  private keep<T extends Float32Array | LabelMapData>(v: NiftiVolume<T>): NiftiVolume<T> {
    this.grow(v.nifti.byteLength);
    return v;
  }

  private grow(bytes: number): void {
    this.bytes += bytes;
    this.owner?.grow(this, bytes);
  }
}

/**
 * The images of recently opened scans (`ScanImages`), in memory, at most `maxBytes` of volumes and
 * derived files (least recently used scans dropped first; a scan is never dropped for its own growth).
 * Keyed by the scan's API id, its import time and `scanFilesFingerprint`, so a re-import or a changed
 * file builds anew; concurrent requests for one key share one entry and so one build (the viewer asks
 * for display.nii.gz, suv.nii.gz, labels.nii.gz and voxels at once).
 */
export class ScanImageCache implements EntryOwner {
  private readonly entries = new Map<string, ScanImages>();
  private total = 0;
  private readonly maxBytes: number;
  private readonly loaders: ScanImageLoaders;
  private readonly store: ViewerImageStore | null;
  private readonly onStoreError: (e: unknown) => void;

  constructor(opts: ScanImageCacheOptions = {}) {
    this.maxBytes = opts.maxBytes ?? 768 * 1024 * 1024;
    this.loaders = opts.loaders ?? { suv: loadScanSuv, labels: scanLabelMap };
    this.store = opts.store ?? null;
    this.onStoreError = opts.onStoreError ?? (() => undefined);
  }

  /**
   * The scan's entry (most recently used now); nothing is built until it is asked for an image.
   * @param importedAt when the scan's study was imported (ISO 8601)
   * @param jobKey the key of the scan's quantification job when it is done: its entry in the store,
   *   used when no file of the scan was modified after `importedAt`
   * @throws InputError from `scanFilesFingerprint` (a file not on this machine)
   */
  scan(
    uid: string,
    importedAt: string,
    src: ScanSource,
    vois: readonly Voi[],
    jobKey: string | null = null,
  ): ScanImages {
    const stats = scanFileStats(src, vois);
    const key = `${uid}\u0002${importedAt}\u0002${jobKey ?? ''}\u0002${fingerprintOf(stats)}`;
    let entry = this.entries.get(key);
    if (entry) {
      this.entries.delete(key); // re-insert: most recently used last
    } else {
      for (const [k, e] of this.entries) if (k.startsWith(`${uid}\u0002`)) this.forget(e); // stale builds
      // the store's entry holds the files as the job quantified them: not used for files changed since
      // the import (they are decoded as they are now, and nothing is written under the old key)
      const asImported = stats.every((f) => f.mtimeMs <= Date.parse(importedAt));
      const stored =
        this.store && jobKey !== null && asImported
          ? { store: this.store, key: jobKey, onError: this.onStoreError }
          : null;
      entry = new ScanImages(key, src, vois, this.loaders, this, stored);
    }
    this.entries.set(key, entry);
    return entry;
  }

  /** Bytes counted against the budget now. */
  get bytes(): number {
    return this.total;
  }

  /** @internal an entry kept `bytes` more (or fewer): drop least recently used others past the budget */
  grow(entry: ScanImages, bytes: number): void {
    this.total += bytes;
    for (const e of [...this.entries.values()]) {
      if (this.total <= this.maxBytes) break;
      if (e !== entry) this.forget(e);
    }
  }

  /** @internal lets `entry` go (a failed build, a stale key, the budget) */
  forget(entry: ScanImages): void {
    if (this.entries.get(entry.key) !== entry) return;
    this.entries.delete(entry.key);
    this.total -= entry.bytes;
    entry.detach();
  }
}
