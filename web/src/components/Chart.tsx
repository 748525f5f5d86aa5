/** One Vega-Lite figure, rendered by vega-embed (loaded on first use, so the other pages stay small). */
import { useEffect, useRef, useState } from 'react';
import type { VlSpec } from '../charts.js';

export function Chart(props: { spec: VlSpec; label: string }) {
  const ref = useRef<HTMLDivElement>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let finalize: (() => void) | null = null;
    let live = true;
    import('vega-embed')
      .then(async (m) => {
        if (!live || !ref.current) return;
        const r = await m.default(ref.current, props.spec, { actions: false, renderer: 'svg' });
        finalize = () => r.finalize();
        if (!live) finalize();
      })
      .catch((e: unknown) => live && setError(e instanceof Error ? e.message : String(e)));
    return () => {
      live = false;
      finalize?.();
    };
  }, [props.spec]);
  return (
    <figure className="chart">
      <div ref={ref} role="img" aria-label={props.label} />
      <figcaption>{error ? `The figure could not be drawn: ${error}` : props.label}</figcaption>
    </figure>
  );
}
