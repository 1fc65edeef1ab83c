/** How figures, classes and errors are shown, shared by every view. */
import type { Label } from '@shared/labels';

export const pct = (v: number | null | undefined, digits = 1): string => (v === null || v === undefined || Number.isNaN(v) ? '—' : `${(v * 100).toFixed(digits)}%`);
export const num = (v: number | null | undefined, digits = 3): string => (v === null || v === undefined || Number.isNaN(v) ? '—' : v.toFixed(digits));

export function duration(s: number | null | undefined): string {
  if (s === null || s === undefined || !Number.isFinite(s)) return '—';
  const t = Math.max(0, Math.round(s));
  const h = Math.floor(t / 3600);
  const m = Math.floor((t % 3600) / 60);
  const sec = t % 60;
  return h ? `${h} h ${m} min` : m ? `${m} min ${sec} s` : `${sec} s`;
}

export function shortDate(iso: string): string {
  return iso.replace('T', ' ').slice(0, 16);
}

/** A conformal coverage as a percentage: 0.9 → "90%", 0.975 → "97.5%". */
export const coveragePct = (coverage: number): string => `${+(coverage * 100).toFixed(1)}%`;

export const LABEL_COLORS: Record<Label, string> = { COVID19: 'var(--covid)', NORMAL: 'var(--normal)', PNEUMONIA: 'var(--pneumonia)' };

/** The text of a rejected call (main's CxrError carries its own message). */
export const errorMessage = (err: unknown): string => (err instanceof Error ? err.message : String(err));
