/**
 * Accessible SVG figures: every figure file names itself with a <title> and describes itself with a
 * <desc> (SVG 2 §5.9 "The 'desc' and 'title' elements"; WAI-ARIA Graphics: `role="img"` and
 * `aria-labelledby` on the root), so a screen reader announces the figure's title and caption.
 */
import { escapeHtml } from './html.js';

/**
 * Inserts `<title>` (and `<desc>` when given) as the first children of the root `<svg>` element and
 * labels the root with them.
 * @param svg a standalone SVG document string (starts with `<svg` or an XML prolog)
 * @param id the figure's id: the elements are `<id>-title` and `<id>-desc`, unique in a report page
 * @param title the figure's title
 * @param desc a description (e.g. the caption, which spells out what the figure shows)
 * @throws Error when `svg` has no `<svg …>` root element
 */
export function withTitleAndDesc(svg: string, id: string, title: string, desc?: string): string {
  const open = /<svg\b[^>]*>/.exec(svg);
  if (!open) throw new Error('not an SVG document: no <svg> root element');
  const ids = desc ? `${id}-title ${id}-desc` : `${id}-title`;
  const root = open[0].replace(/^<svg\b/, `<svg role="img" aria-labelledby="${escapeHtml(ids)}"`);
  const children =
    `<title id="${escapeHtml(id)}-title">${escapeHtml(title)}</title>` +
    (desc ? `<desc id="${escapeHtml(id)}-desc">${escapeHtml(desc)}</desc>` : '');
  return svg.slice(0, open.index) + root + children + svg.slice(open.index + open[0].length);
}
