/**
 * The viewer's requests for a scan's image files (GET /api/scans/{id}/…): made in a dedicated worker
 * (fetch-worker.ts: reading a large body on the page's thread would hold back niivue and the
 * crosshair), and made ahead when the app opens at a scan's address (`prefetchScanFile`). In the app's
 * first chunk (src/App.tsx imports it; a few hundred bytes), so that the request made ahead goes out
 * while the viewer's chunk, niivue and the session's answer are still coming.
 */

/** The worker that fetches the viewer's image files (fetch-worker.ts), started on first use. */
let fetcher: Worker | null = null;
const waiting = new Map<number, { resolve: (b: ArrayBuffer) => void; reject: (e: Error) => void }>();
let lastId = 0;

/** The worker's answer for request `id` (see fetch-worker.ts). */
type FetchAnswer = { id: number; bytes?: ArrayBuffer; status?: number; error?: string };

/** The worker of `fetchBytes`. */
function fetchWorker(): Worker {
  if (fetcher) return fetcher;
  const w = new Worker(new URL('./fetch-worker.ts', import.meta.url), { type: 'module' });
  w.onmessage = (e: MessageEvent<FetchAnswer>) => {
    const { id, bytes, status, error } = e.data;
    const p = waiting.get(id);
    waiting.delete(id);
    if (bytes) p?.resolve(bytes);
    else p?.reject(new Error(status === undefined ? `network error (${error})` : `HTTP ${status}`));
  };
  w.onerror = (e) => {
    for (const p of waiting.values()) p.reject(new Error(`the fetch worker failed: ${e.message}`));
    waiting.clear();
    fetcher = null;
  };
  fetcher = w;
  return w;
}

/** The URL of one of a scan's image files (`file` under /api/scans/{id}/). */
const scanFileUrl = (scanId: string, file: string): string =>
  `/api/scans/${encodeURIComponent(scanId)}/${file}`;

/** `url`'s bytes, fetched in the fetch worker (rejects with the HTTP status or the network error). */
function request(url: string): Promise<ArrayBuffer> {
  const id = ++lastId;
  const answer = new Promise<ArrayBuffer>((resolve, reject) => waiting.set(id, { resolve, reject }));
  fetchWorker().postMessage({ id, url });
  return answer;
}

/** Requests made ahead (`prefetchScanFile`), by URL, until `fetchBytes` takes them. */
const ahead = new Map<string, Promise<ArrayBuffer>>();

/**
 * Starts fetching one of a scan's images before the viewer asks for it (`fetchBytes` then takes the
 * request): the app calls it when it opens at a scan's address, while it loads the viewer and asks
 * who is signed in, so that the fetch worker's start and the transfer are out of the way when the pane
 * starts. Never throws: a request that fails (e.g. 401, before sign-in) is made again when asked for.
 */
export function prefetchScanFile(scanId: string, file: string): void {
  const url = scanFileUrl(scanId, file);
  if (ahead.has(url)) return;
  const bytes = request(url);
  bytes.catch(() => undefined); // asked again by fetchBytes
  ahead.set(url, bytes);
}

/**
 * Fetches one of a scan's images (`file` under /api/scans/{id}/), as bytes, in the fetch worker, or
 * takes the request made ahead for it (`prefetchScanFile`; made anew when that one failed).
 * @throws Error naming the file and the HTTP status (or the network error) when it cannot be fetched
 */
export async function fetchBytes(scanId: string, file: string): Promise<ArrayBuffer> {
  const url = scanFileUrl(scanId, file);
  const early = ahead.get(url);
  ahead.delete(url);
  const answer = early ? early.catch(() => request(url)) : request(url);
  return answer.catch((e: Error) => {
    throw new Error(`${file.replace(/\?.*/, '')}: ${e.message}`);
  });
}

/** The display volume's file in the window [0, `windowMax`] (GET /api/scans/{id}/display.nii.gz). */
export const displayFile = (windowMax: number): string => `display.nii.gz?windowMax=${windowMax}`;
