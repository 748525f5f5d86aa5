/**
 * The VOI colours (RGB, 0–255) of every picture: the report's outlines on MIPs (src/report/images.ts)
 * and the web viewer's VOI overlay and legend (web/src/viewer/colours.ts) draw the n-th VOI (or mask)
 * in `VOI_COLOURS_RGB[n % 8]`, so a VOI has the same colour in the report and in the viewer. Distinct
 * hues after Trubetskoy's "20 simple, distinct colours". No imports: the browser app loads it too.
 */
export const VOI_COLOURS_RGB: readonly (readonly [number, number, number])[] = [
  [230, 25, 75],
  [60, 180, 75],
  [0, 130, 200],
  [245, 130, 48],
  [145, 30, 180],
  [70, 240, 240],
  [240, 50, 230],
  [210, 245, 60],
];
