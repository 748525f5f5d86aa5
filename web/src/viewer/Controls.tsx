/**
 * The viewer's shared controls: SUV window presets, the colour map and the SUV colour bar (both panes
 * of a comparison show the same look).
 */
import { COLOURMAPS, WINDOWS, type ColourMap } from './colours.js';
import type { Look } from './nv-volume.js';

/** Window presets, colour map select and colour bar for `look`; `onChange` gets the new look. */
export function LookControls(props: { look: Look; onChange: (look: Look) => void }) {
  const { look, onChange } = props;
  return (
    <>
      <fieldset className="window-presets">
        <legend>SUV window (g/mL)</legend>
        {WINDOWS.map((w) => (
          <label key={w}>
            <input
              type="radio"
              name="suv-window"
              checked={look.windowMax === w}
              onChange={() => onChange({ ...look, windowMax: w })}
            />
            0–{w}
          </label>
        ))}
      </fieldset>
      <div className="field">
        <label htmlFor="colour-map">Colour map</label>
        <select
          id="colour-map"
          value={look.colourMap}
          onChange={(e) => onChange({ ...look, colourMap: e.target.value as ColourMap })}
        >
          {Object.entries(COLOURMAPS).map(([k, c]) => (
            <option key={k} value={k}>
              {c.name}
            </option>
          ))}
        </select>
      </div>
      <div className="colour-bar" aria-label={`SUV colour bar, 0 to ${look.windowMax} g/mL`} role="img">
        <div className="colour-bar-ramp" style={{ background: COLOURMAPS[look.colourMap].css }} />
        <div className="colour-bar-labels">
          <span>0</span>
          <span data-testid="colorbar-max">{look.windowMax} g/mL</span>
        </div>
      </div>
    </>
  );
}
