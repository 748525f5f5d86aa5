/**
 * The viewer's images of quantified scans, kept on disk (issue 14: a 200×200×400 scan opens in the
 * viewer in under 3 s). Without them the server decodes a scan on its first open after a start: about
 * 0.6 s to inflate a 37 MB suv.nii.gz or read a DICOM series, on the cores the browser needs. The
 * quantification job has the SUV in memory and writes them (`writeViewerImages`: about 0.3 s for a
 * 200×200×400 scan); the server writes them too after it has built them from a scan (the jobs of an
 * import that found nothing to redo, or of a worker without the folder).
 *
 * One folder per quantification job key (src/pipeline/scan-job.ts: SHA-256 of the scan's files, its VOIs
 * and the settings), so an entry is never stale: a changed file or VOI is another key. Layout (`LAYOUT`):
 *   <dir>/v1/<job key>/suv.nii                 the SUV (g/mL) as float32 NIfTI-1, uncompressed: the
 *                                              voxel route and a window change read it as it is
 *   <dir>/v1/<job key>/labels.nii              the VOI label map on the SUV's grid (scan-images.ts),
 *                                              uncompressed too: a voxel's readout reads 5 bytes
 *   <dir>/v1/<job key>/display-<max>.nii.gz    the display volume in window [0, max] (src/io/display-nifti.ts)
 * An entry is written in a temporary folder and renamed into place: it is whole or absent. An entry that
 * cannot be read (a truncated file) is removed, and the server builds the images from the scan again.
 * The folder is a cache: deleting it loses nothing but the first open's speed. docs/database.md.
 */
import {
  mkdir,
  mkdtemp,
  open,
  readFile,
  rename,
  rm,
  stat,
  writeFile,
  type FileHandle,
} from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { InputError } from '../errors.js';
import type { Volume } from '../imaging/volume.js';
import { DEFAULT_WINDOW_MAX_SUV, displayNifti } from '../io/display-nifti.js';
import { readNiftiAsync, type NiftiData } from '../io/nifti.js';
import { niftiVoxels } from '../io/nifti-voxels.js';
import { isPostgresUrl } from '../store/db.js';
import type { Voi } from '../study/model.js';
import {
  gzipFast,
  labelsNiftiVolume,
  scanLabelMap,
  suvNiftiVolume,
  type LabelMapData,
  type NiftiVolume,
  type ScanSource,
} from './scan-images.js';

/** The layout's version: the entries' parent folder (a new layout never reads an old one's files). */
const LAYOUT = 'v1';

/** A job key as scan-job.ts makes it (SHA-256, hex): the only names an entry's folder may have. */
const JOB_KEY = /^[0-9a-f]{64}$/;

/** What an entry holds (all three are written together). */
export interface ViewerImageFiles {
  /** suv.nii: the SUV's NIfTI-1 file (float32, uncompressed; `suvNiftiVolume`). */
  suvNifti: Uint8Array;
  /** labels.nii: the label map's NIfTI-1 file (uint8 or uint16, uncompressed; `labelsNiftiVolume`). */
  labelsNifti: Uint8Array;
  /** display-<windowMax>.nii.gz: the display volume (`displayNifti`), gzip. */
  displayGz: Uint8Array;
  /** The display volume's window maximum (SUV g/mL). */
  windowMax: number;
}

/** An entry's volumes as read back: each a view on its file's bytes (`NiftiVolume`). */
export interface StoredScanVolumes {
  suv: NiftiVolume<Float32Array>;
  labels: NiftiVolume<LabelMapData>;
}

/**
 * The default folder of the viewer's images of a database (`carto run`, `import`, `serve`): beside a
 * SQLite file, its name with `.images` added (`cartography.sqlite.images`); none for PostgreSQL (whose
 * workers and server may be on several machines: give them one folder with `--images`) or `:memory:`.
 */
export function viewerImagesBeside(dbTarget: string): string | null {
  if (isPostgresUrl(dbTarget) || dbTarget === ':memory:' || dbTarget === '') return null;
  return `${resolve(dbTarget)}.images`;
}

/** The folder of the viewer's images (module doc). Reads and writes are asynchronous. */
export class ViewerImageStore {
  /** @param dir the store's folder (created on the first write) */
  constructor(readonly dir: string) {}

  /**
   * The folder of the entry of job `key`.
   * @throws InputError naming the key when it is not a job key (64 hex digits): never a path
   */
  entryDir(key: string): string {
    if (!JOB_KEY.test(key))
      throw new InputError('not a quantification job key', { field: 'job key', value: key });
    return join(this.dir, LAYOUT, key);
  }

  /** Whether the entry of job `key` is there. */
  async has(key: string): Promise<boolean> {
    try {
      return (await stat(this.entryDir(key))).isDirectory();
    } catch {
      return false;
    }
  }

  /**
   * The entry's display volume in window [0, `windowMax`] (gzip NIfTI-1 bytes), or null when the entry or
   * that window is not there.
   */
  async readDisplay(key: string, windowMax: number): Promise<Uint8Array | null> {
    try {
      return new Uint8Array(await readFile(join(this.entryDir(key), displayName(windowMax))));
    } catch {
      return null;
    }
  }

  /**
   * The entry's SUV and label map, each a view on its file's bytes; null when the entry is not there.
   * An entry that is not as written (a missing, truncated or foreign file) is removed and reads as
   * null; one whose files cannot be read just now (e.g. EMFILE) reads as null and is kept.
   */
  async readVolumes(key: string): Promise<StoredScanVolumes | null> {
    const dir = this.entryDir(key);
    if (!(await this.has(key))) return null;
    try {
      const [suv, labels] = await Promise.all([
        readNiftiAsync(join(dir, 'suv.nii'), { unit: 'SUV g/mL' }),
        readNiftiAsync(join(dir, 'labels.nii'), { unit: 'label' }),
      ]);
      return {
        suv: wholeFileView(suv.volume, (d): d is Float32Array => d instanceof Float32Array),
        labels: wholeFileView(
          labels.volume,
          (d): d is LabelMapData => d instanceof Uint8Array || d instanceof Uint16Array,
        ),
      };
    } catch (e) {
      // a file that is there but cannot be read now (too many open files, an I/O error) leaves the
      // entry alone; a missing, truncated or foreign file removes it
      const transient = e instanceof InputError && /^cannot read file: (?!ENOENT)/.test(e.message);
      if (!transient) await rm(dir, { recursive: true, force: true });
      return null;
    }
  }

  /**
   * One voxel of the entry's SUV and label map, read from their files (two reads of a few bytes: no
   * volume is loaded). `pick` gets the grid size (i, j, k) and returns the voxel's index in file order
   * (i fastest), or throws (a voxel outside the grid: its error is this call's).
   * @returns the SUV (g/mL, float32) and the label value there, with the grid size; null when the entry
   *   is not there or its files are not as written (the caller then loads the volumes)
   */
  async readVoxel(
    key: string,
    pick: (size: [number, number, number]) => number,
  ): Promise<{ size: [number, number, number]; suv: number; labelValue: number } | null> {
    const dir = this.entryDir(key);
    let suvFile: FileHandle | undefined;
    let labelsFile: FileHandle | undefined;
    try {
      try {
        [suvFile, labelsFile] = await Promise.all([
          open(join(dir, 'suv.nii')),
          open(join(dir, 'labels.nii')),
        ]);
      } catch {
        return null;
      }
      const [suvHead, labelsHead] = await Promise.all([headerOf(suvFile), headerOf(labelsFile)]);
      if (suvHead.datatype !== 16 || suvHead.size.join() !== labelsHead.size.join()) return null;
      if (labelsHead.datatype !== 2 && labelsHead.datatype !== 512) return null;
      const q = pick(suvHead.size);
      const labelBytes = labelsHead.datatype === 2 ? 1 : 2;
      const [suv, label] = await Promise.all([
        readExactly(suvFile, 352 + 4 * q, 4),
        readExactly(labelsFile, 352 + labelBytes * q, labelBytes),
      ]);
      if (!suv || !label) return null;
      const labelValue = labelBytes === 1 ? label.getUint8(0) : label.getUint16(0, true);
      return { size: suvHead.size, suv: suv.getFloat32(0, true), labelValue };
    } finally {
      await Promise.all([suvFile?.close(), labelsFile?.close()]);
    }
  }

  /**
   * Writes the entry of job `key` (a temporary folder renamed into place), unless it is there already.
   * @returns 'written', or 'present' when the entry was there (or another writer put it there first)
   * @throws the file system's error (no space, no permission); no partial entry is left
   */
  async write(key: string, files: ViewerImageFiles): Promise<'written' | 'present'> {
    const dir = this.entryDir(key);
    if (await this.has(key)) return 'present';
    const parent = join(this.dir, LAYOUT);
    await mkdir(parent, { recursive: true });
    const tmp = await mkdtemp(join(parent, `.tmp-${key.slice(0, 8)}-`));
    try {
      await writeFile(join(tmp, 'suv.nii'), files.suvNifti);
      await writeFile(join(tmp, 'labels.nii'), files.labelsNifti);
      await writeFile(join(tmp, displayName(files.windowMax)), files.displayGz);
      try {
        await rename(tmp, dir);
      } catch (e) {
        if (await this.has(key)) return 'present'; // another writer's entry (ENOTEMPTY, EEXIST)
        throw e;
      }
      return 'written';
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  }
}

/** The grid size (dim[1..3]) and datatype of a NIfTI-1 file as the store writes it (little-endian, 352-byte header). */
async function headerOf(f: FileHandle): Promise<{ size: [number, number, number]; datatype: number }> {
  const h = await readExactly(f, 0, 352);
  if (!h || h.getInt32(0, true) !== 348) return { size: [0, 0, 0], datatype: 0 };
  return {
    size: [h.getInt16(42, true), h.getInt16(44, true), h.getInt16(46, true)],
    datatype: h.getInt16(70, true),
  };
}

/** `n` bytes of file `f` at byte `at`, or null when the file is shorter. */
async function readExactly(f: FileHandle, at: number, n: number): Promise<DataView | null> {
  const buf = new Uint8Array(n);
  const { bytesRead } = await f.read(buf, 0, n, at);
  return bytesRead === n ? new DataView(buf.buffer) : null;
}

/** An entry's file name of the display volume in window [0, `windowMax`]. */
function displayName(windowMax: number): string {
  return `display-${windowMax}.nii.gz`;
}

/**
 * A volume read by `readNiftiAsync` whose voxels are a view at byte 352 of a buffer holding exactly the
 * file, as a `NiftiVolume` (the file's bytes and that view).
 * @throws Error when the voxels are of another type or not such a view (the entry is then unreadable)
 */
function wholeFileView<T extends Float32Array | LabelMapData>(
  volume: Volume<NiftiData>,
  isType: (d: NiftiData) => d is T,
): NiftiVolume<T> {
  const d = volume.data;
  if (!isType(d) || d.byteOffset !== 352 || d.buffer.byteLength !== 352 + d.byteLength)
    throw new Error('not a stored volume');
  return { volume: { ...volume, data: d }, nifti: new Uint8Array(d.buffer, 0, d.buffer.byteLength) };
}

/**
 * The viewer's images of a scan from its SUV (`suv`: as `loadScanSuv` gives it, the scan's own volume,
 * taken over: its buffer becomes suv.nii's), built as the server builds them (scan-images.ts): the
 * label map of its VOIs and the display volume in the window the viewer opens in.
 * @throws InputError naming the file when a mask cannot be read or put on the grid (as `scanLabelMap`)
 */
export async function viewerImageFiles(
  src: ScanSource,
  vois: readonly Voi[],
  suv: Volume<Float32Array>,
): Promise<ViewerImageFiles> {
  const suvFile = suvNiftiVolume(suv, src.scan.scanId);
  const labels = labelsNiftiVolume(await scanLabelMap(src, vois, suvFile.volume), src.scan.scanId);
  const windowMax = DEFAULT_WINDOW_MAX_SUV;
  const display = new Uint8Array(displayNifti(niftiVoxels('suv.nii', suvFile.nifti), windowMax));
  return {
    suvNifti: suvFile.nifti,
    labelsNifti: labels.nifti,
    displayGz: await gzipFast(display),
    windowMax,
  };
}

/**
 * Writes the viewer's images of a quantified scan into the store folder `dir` under its job `key`
 * (`viewerImageFiles`), unless they are there.
 * @returns 'written' or 'present'
 * @throws InputError from `viewerImageFiles`; the file system's error from `ViewerImageStore.write`
 */
export async function writeViewerImages(
  dir: string,
  key: string,
  src: ScanSource,
  vois: readonly Voi[],
  suv: Volume<Float32Array>,
): Promise<'written' | 'present'> {
  const store = new ViewerImageStore(dir);
  if (await store.has(key)) return 'present';
  return store.write(key, await viewerImageFiles(src, vois, suv));
}
