/**
 * Figure rendering: Vega-Lite specifications → standalone SVG strings, headless (no canvas; vega's
 * 'none' renderer with its SVG string output). Text widths are vega's estimates, so the output is
 * deterministic for a given spec.
 */
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { ResultFigure } from '../analysis/types.js';
import { withTitleAndDesc } from './svg-accessible.js';

/** Collects Vega-Lite compiler warnings instead of printing them. */
class CollectingLogger {
  readonly warnings: string[] = [];
  #level = 0;
  level(): number;
  level(n: number): this;
  level(n?: number): number | this {
    if (n === undefined) return this.#level;
    this.#level = n;
    return this;
  }
  error(...args: readonly unknown[]): this {
    throw new Error(args.map(String).join(' '));
  }
  warn(...args: readonly unknown[]): this {
    this.warnings.push(args.map(String).join(' '));
    return this;
  }
  info(): this {
    return this;
  }
  debug(): this {
    return this;
  }
}

/**
 * Renders a Vega-Lite spec (plain JSON) to an SVG document string. Compiler warnings (e.g. a log
 * scale's dropped zero) are returned in `warnings`, not printed.
 * @throws Error when the spec cannot be compiled or rendered
 */
export async function vegaLiteToSvg(spec: Record<string, unknown>, warnings: string[] = []): Promise<string> {
  const logger = new CollectingLogger();
  const compiled = compile({ background: 'white', ...spec } as unknown as TopLevelSpec, { logger }).spec;
  warnings.push(...logger.warnings);
  const view = new vega.View(vega.parse(compiled), { renderer: 'none', logLevel: vega.Warn });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Wraps a PNG (base64) in an SVG document so every figure file can be an .svg. */
export function pngToSvg(dataBase64: string, widthPx: number, heightPx: number): string {
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" ` +
    `width="${widthPx}" height="${heightPx}" viewBox="0 0 ${widthPx} ${heightPx}">` +
    `<image width="${widthPx}" height="${heightPx}" xlink:href="data:image/png;base64,${dataBase64}"/></svg>`
  );
}

/** Renders any result figure to SVG, titled and described by its title and caption (<title>, <desc>). */
export async function figureToSvg(figure: ResultFigure): Promise<string> {
  const s = figure.source;
  const svg =
    s.kind === 'vega-lite' ? await vegaLiteToSvg(s.spec) : pngToSvg(s.dataBase64, s.widthPx, s.heightPx);
  return withTitleAndDesc(svg, figure.id, figure.title, figure.caption);
}
