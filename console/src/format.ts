import type { ImportStatus, RowStatus, UserStatus } from './api/types';

/** The import statuses in the words the upload history uses. */
export const statusLabel: Record<ImportStatus, string> = {
  awaiting_upload: 'Awaiting upload',
  validating: 'Checking file',
  ready: 'Ready to import',
  queued: 'Queued',
  importing: 'In Progress',
  completed: 'Completed',
  completed_with_errors: 'Completed with Errors',
  failed: 'Failed',
};

/** Statuses after which nothing changes by itself. */
export function isFinal(s: ImportStatus): boolean {
  return s === 'completed' || s === 'completed_with_errors' || s === 'failed';
}

/** Statuses the service is working on: pages refresh while one shows. */
export function isRunning(s: ImportStatus): boolean {
  return s === 'validating' || s === 'queued' || s === 'importing';
}

/** A user's status as the console says it. */
export const userStatusLabel: Record<UserStatus, string> = { active: 'Active', invited: 'Invited', removed: 'Removed' };

export const rowStatusLabel: Record<RowStatus, string> = {
  valid: 'Valid',
  invalid: 'Invalid',
  skipped: 'Will be skipped',
  updated: 'Will be updated',
  unchanged: 'Unchanged',
};

/** Formats a count with separators: 12,345. */
export function count(n: number): string {
  return n.toLocaleString('en-GB');
}

/** Formats a file size: 1.2 MB. */
export function bytes(n: number): string {
  if (n < 1024) return `${n} bytes`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / (1024 * 1024)).toFixed(1)} MB`;
}

/** A progress sample: rows done at a time (ms). */
export interface Sample {
  at: number;
  done: number;
}

/**
 * secondsLeft estimates the time to finish from the first and last samples
 * of a run: null until there is a rate to go by.
 */
export function secondsLeft(samples: Sample[], total: number): number | null {
  if (samples.length < 2) return null;
  const first = samples[0];
  const last = samples[samples.length - 1];
  const rate = (last.done - first.done) / ((last.at - first.at) / 1000);
  if (!(rate > 0) || last.done >= total) return null;
  return Math.ceil((total - last.done) / rate);
}

/** Says a duration the way people do: "about 2 minutes", "a few seconds". */
export function duration(seconds: number): string {
  if (seconds < 10) return 'a few seconds';
  if (seconds < 60) return `about ${Math.round(seconds / 5) * 5} seconds`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return minutes === 1 ? 'about a minute' : `about ${minutes} minutes`;
  const hours = Math.round(minutes / 60);
  return hours === 1 ? 'about an hour' : `about ${hours} hours`;
}

/** Percentage done, whole, at most 100. */
export function percent(done: number, total: number): number {
  if (total <= 0) return 0;
  return Math.min(100, Math.floor((done / total) * 100));
}

/** A timestamp in the reader's locale. */
export function when(iso: string): string {
  return new Date(iso).toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'short' });
}
