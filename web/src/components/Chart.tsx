/**
 * One dashboard figure: an SVG the server renders from its Vega-Lite spec (GET
 * /api/dashboard/figures/{name}.svg), shown as an image with its text alternative and caption.
 */
import { useState } from 'react';

export function Figure(props: { src: string; label: string }) {
  const [failed, setFailed] = useState<string | null>(null);
  return (
    <figure className="chart">
      {failed === props.src ? null : (
        <img src={props.src} alt={props.label} onError={() => setFailed(props.src)} />
      )}
      <figcaption>
        {failed === props.src ? `The figure could not be drawn: ${props.label}` : props.label}
      </figcaption>
    </figure>
  );
}
