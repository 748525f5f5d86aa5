/** Display helpers shared by the pages. */

/** A whole number of days as text ("—" when missing). */
export function days(v: number | null | undefined): string {
  return v === null || v === undefined || Number.isNaN(v) ? '—' : `${Math.round(v * 10) / 10} days`;
}

/** "day N" relative to infusion ("day 0" = the infusion), or '' without an infusion. */
export function dayLabel(day: number | null): string {
  return day === null ? '' : `day ${day}`;
}

export { daysBetween } from '../../src/clinical/timeline.js';

/** A scalar API value as text ('' for null/undefined; lists joined by commas). */
export function cell(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return v.map(cell).join(', ');
  return JSON.stringify(v);
}
