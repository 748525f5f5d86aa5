/**
 * The viewer's colours: SUV window presets, the SUV colour maps (niivue name, CSS ramp of the colour
 * bar, and the same ramp for the coronal MIP drawn on a 2D canvas), and the VOI overlay colours.
 */
import { VOI_COLOURS_RGB } from '../../../src/report/voi-colours.js';

/** Upper ends of the SUV window presets (g/mL); the window starts at 0. */
export const WINDOWS = [5, 10, 30] as const;

/** The SUV colour maps: label, niivue colour map, inverted or not, and the colour bar's CSS ramp. */
export const COLOURMAPS = {
  'inverted-grey': {
    name: 'Inverted grey',
    niivue: 'gray',
    invert: true,
    css: 'linear-gradient(to right, #fff, #000)',
  },
  grey: { name: 'Grey', niivue: 'gray', invert: false, css: 'linear-gradient(to right, #000, #fff)' },
  hot: {
    name: 'Hot',
    niivue: 'hot',
    invert: false,
    css: 'linear-gradient(to right, #000, #e00 35%, #ff0 70%, #fff)',
  },
} as const;
export type ColourMap = keyof typeof COLOURMAPS;

/** Distinct overlay colours for VOIs (label value 1, 2, … cycles through them). */
const VOI_COLOURS = VOI_COLOURS_RGB;

/** How many distinct VOI colours there are. */
export const VOI_COLOUR_COUNT = VOI_COLOURS.length;

/** The colour index (1 … VOI_COLOUR_COUNT) of label value `labelValue` (≥ 1); 0 for 0 (no VOI). */
export const voiColourIndex = (labelValue: number): number =>
  labelValue > 0 ? ((labelValue - 1) % VOI_COLOURS.length) + 1 : 0;

/** The RGB (0–255) of the VOI with label value `labelValue` (≥ 1) in the overlay and the legend. */
export const voiColour = (labelValue: number): readonly [number, number, number] =>
  VOI_COLOURS[voiColourIndex(labelValue) - 1]!;

/** The RGB (0–255) of fraction `t` (0–1) of the window in a colour map (the colour bar's ramp). */
export function colour(t: number, cm: ColourMap): [number, number, number] {
  if (cm === 'grey') return [t * 255, t * 255, t * 255];
  if (cm === 'inverted-grey') return [255 - t * 255, 255 - t * 255, 255 - t * 255];
  const r = Math.min(1, t / 0.35);
  const g = Math.max(0, Math.min(1, (t - 0.35) / 0.35));
  const b = Math.max(0, (t - 0.7) / 0.3);
  return [r * 255, g * 255, b * 255];
}
