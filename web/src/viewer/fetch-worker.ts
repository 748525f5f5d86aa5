/**
 * The viewer's fetches of a scan's image files, off the page's thread (a dedicated worker): reading a
 * response body into an ArrayBuffer is native work on the thread that asks for it (about 0.5 s for the
 * 16 MB display volume and 1–1.5 s for the 64 MB float SUV on a software-rendered, two-core machine),
 * which on the page's thread would hold back niivue's start and the crosshair. The buffer is handed
 * to the page, not copied. Message in: `{ id, url }`; out: `{ id, bytes }` or `{ id, status }` (HTTP
 * status of a failed request) or `{ id, error }` (a network error).
 */
interface Scope {
  onmessage: ((e: MessageEvent<{ id: number; url: string }>) => void) | null;
  postMessage: (message: unknown, transfer?: Transferable[]) => void;
}
const scope = self as unknown as Scope;

scope.onmessage = (e) => {
  const { id, url } = e.data;
  fetch(url)
    .then(async (r) => {
      if (!r.ok) return scope.postMessage({ id, status: r.status });
      const bytes = await r.arrayBuffer();
      scope.postMessage({ id, bytes }, [bytes]);
    })
    .catch((err: unknown) =>
      scope.postMessage({ id, error: err instanceof Error ? err.message : String(err) }),
    );
};
