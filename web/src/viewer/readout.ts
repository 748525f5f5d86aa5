/**
 * The crosshair readout of a pane (voxel, patient coordinate, SUV, VOI label) from one of two sources:
 * until the float SUV and the label map are in the page, each position is asked of the server
 * (GET /api/scans/{id}/voxel: the float32 value of suv.nii.gz and the label there); once they are in,
 * the readout reads them in place and asks the server nothing. Only the answer for the latest position
 * is ever shown: an earlier request answered late is dropped, and a failed request shows its error,
 * never a value.
 */
import type { NiftiVoxels } from '../../../src/io/nifti-voxels.js';
import { niftiGrid, type Vec3 } from './nv-volume.js';

/** What the crosshair is on. */
export interface Readout {
  /** The file's voxel (i, j, k). */
  vox: Vec3;
  /** Patient coordinate (mm, LPS). */
  mmLps: Vec3;
  /** False when the position lies outside this scan's grid (then `suv` is NaN, `labelValue` 0). */
  inside: boolean;
  /** SUV (g/mL): the float32 value of the file at `vox`; NaN while pending, on error and outside. */
  suv: number;
  /** The label map's value at `vox` (0: no VOI, also while pending and on error). */
  labelValue: number;
  /** 'voxel': answered by GET /api/scans/{id}/voxel; 'file': read from the float data in the page. */
  source: 'voxel' | 'file';
  /** 'pending' while the server's answer is out; 'error' (with `error`) when the request failed. */
  state: 'ok' | 'pending' | 'error';
  error?: string;
}

/** The float SUV and the VOI label map of a scan, in the page (file voxel order). */
export interface ScanData {
  suv: NiftiVoxels;
  labels: NiftiVoxels;
}

/** The server's answer for one voxel: the float32 SUV (g/mL) of suv.nii.gz and the label there. */
interface VoxelAnswer {
  suv: number;
  labelValue: number;
}

/**
 * Asks the server for the SUV and the VOI label at the file's voxel `vox` (GET
 * /api/scans/{id}/voxel?i=&j=&k=, 0-based, file order; answer `{ vox, suv, labelValue }`).
 * @throws Error naming the voxel and the HTTP status (with the server's message) when the request
 *   fails, or naming the field and its value when the answer is not for `vox` or not numbers
 */
export async function fetchVoxel(scanId: string, vox: Vec3): Promise<VoxelAnswer> {
  const [i, j, k] = vox;
  const r = await fetch(`/api/scans/${encodeURIComponent(scanId)}/voxel?i=${i}&j=${j}&k=${k}`);
  const where = `voxel ${vox.join(', ')}`;
  if (!r.ok) {
    const body = (await r.json().catch(() => null)) as { error?: unknown } | null;
    const why = typeof body?.error === 'string' ? `: ${body.error}` : '';
    throw new Error(`${where}: HTTP ${r.status}${why}`);
  }
  const a = (await r.json()) as { vox?: unknown; suv?: unknown; labelValue?: unknown };
  const bad = (field: string, value: unknown) =>
    new Error(`${where}: the server's ${field} is ${JSON.stringify(value)}`);
  if (!Array.isArray(a.vox) || a.vox.some((v, n) => v !== vox[n]) || a.vox.length !== 3)
    throw bad('vox', a.vox);
  // JSON has no NaN: a float32 NaN of the file comes as null
  const suv = a.suv === null ? NaN : a.suv;
  if (typeof suv !== 'number') throw bad('suv', a.suv);
  if (typeof a.labelValue !== 'number' || !Number.isInteger(a.labelValue))
    throw bad('labelValue', a.labelValue);
  return { suv, labelValue: a.labelValue };
}

/** A voxel's answer asked for before the pane's reader exists (`askVoxelAhead`). */
export interface VoxelAhead {
  vox: Vec3;
  answer: Promise<VoxelAnswer>;
}

/**
 * Asks the server for the voxel `vox` now (`fetchVoxel`), for a reader made later to take
 * (`ReadoutReader`'s `ahead`): the pane asks for its first voxel (the grid's centre) as soon as it
 * knows the scan's grid, so that the answer is in when the slices are drawn.
 */
export function askVoxelAhead(scanId: string, vox: Vec3): VoxelAhead {
  const answer = fetchVoxel(scanId, vox);
  answer.catch(() => undefined); // shown by the reader that takes it
  return { vox, answer };
}

/** Reads the crosshair of one pane (see the module doc); `show` receives every readout to show. */
export class ReadoutReader {
  /** The number of the latest position read: an answer for an earlier one is dropped. */
  private latest = 0;
  private data: ScanData | null = null;

  constructor(
    private readonly scanId: string,
    /** The scan's grid (voxels along i, j, k). */
    private readonly size: Vec3,
    private readonly show: (r: Readout) => void,
    /** An answer asked for ahead (`askVoxelAhead`), taken by the first read of its voxel. */
    private ahead: VoxelAhead | null = null,
  ) {}

  /** The float data are in: every read from now on reads them (no request). */
  setData(data: ScanData): void {
    this.data = data;
  }

  get hasData(): boolean {
    return this.data !== null;
  }

  /** Shows the readout at the file's voxel `vox` (patient coordinate `mmLps`). */
  read(vox: Vec3, mmLps: Vec3): void {
    const n = ++this.latest;
    const size = this.size;
    const inside = vox.every((v, a) => v >= 0 && v < size[a]!);
    const source = this.data ? 'file' : 'voxel';
    const at = { vox, mmLps, inside, source } as const;
    if (!inside) return this.show({ ...at, suv: NaN, labelValue: 0, state: 'ok' });
    if (this.data) {
      const q = vox[0] + size[0] * (vox[1] + size[1] * vox[2]);
      return this.show({
        ...at,
        // the float SUV of the file, not the display volume's 8-bit level
        suv: niftiGrid(this.data.suv).value(q),
        labelValue: Math.round(niftiGrid(this.data.labels).value(q)),
        state: 'ok',
      });
    }
    this.show({ ...at, suv: NaN, labelValue: 0, state: 'pending' });
    const ahead = this.ahead;
    this.ahead = null;
    const answer =
      ahead && ahead.vox.every((v, a) => v === vox[a]) ? ahead.answer : fetchVoxel(this.scanId, vox);
    answer.then(
      (a) => {
        if (n === this.latest) this.show({ ...at, ...a, state: 'ok' });
      },
      (e: unknown) => {
        if (n === this.latest)
          this.show({
            ...at,
            suv: NaN,
            labelValue: 0,
            state: 'error',
            error: e instanceof Error ? e.message : String(e),
          });
      },
    );
  }
}
