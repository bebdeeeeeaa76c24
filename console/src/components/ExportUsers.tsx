import { useEffect, useId, useRef, useState, type MouseEvent } from 'react';
import type { Api } from '../api/client';
import type { UsersExport } from '../api/types';
import { count } from '../format';
import { errorText } from './errorText';
import { InlineError } from './InlineError';

/** How long a download link stays good: the API signs them for 5 minutes; a link older than this is fetched again. */
const LINK_FRESH_MS = 4 * 60 * 1000;
/** After this the export is taken as stuck: the worker's own time limit is 15 minutes. */
const GIVE_UP_MS = 16 * 60 * 1000;

/** exportProgress is what the export button's status line says about an export. */
export function exportProgress(e: UsersExport | null): string {
  if (!e) return '';
  switch (e.status) {
    case 'queued':
    case 'running':
      return e.rows > 0 ? `Preparing export… ${count(e.rows)} ${e.rows === 1 ? 'user' : 'users'} so far` : 'Preparing export…';
    case 'done':
      return e.downloadUrl
        ? `Your export of ${count(e.rows)} ${e.rows === 1 ? 'user' : 'users'} is ready.`
        : 'This export has expired. Export the users again.';
    case 'failed':
      return e.failureReason || 'The export failed. Export the users again.';
  }
}

/**
 * ExportUsers exports every user of the school as a spreadsheet: the API
 * prepares the file in the background, this follows it (announcing its
 * progress to screen readers) and then offers the file to download.
 */
export function ExportUsers({ api, schoolId, pollMs = 1000 }: { api: Api; schoolId: string; pollMs?: number }) {
  const statusId = useId();
  const [job, setJob] = useState<UsersExport | null>(null);
  const [fetchedAt, setFetchedAt] = useState(0);
  const [error, setError] = useState<string | null>(null);
  const started = useRef(0);
  const waiting = job !== null && (job.status === 'queued' || job.status === 'running');

  useEffect(() => {
    if (!waiting || !job) return;
    const t = window.setTimeout(async () => {
      if (Date.now() - started.current > GIVE_UP_MS) {
        setJob(null);
        setError('The export is taking too long. Try again later.');
        return;
      }
      try {
        setJob(await api.usersExport(schoolId, job.id));
        setFetchedAt(Date.now());
      } catch (e) {
        setJob(null);
        setError(errorText(e));
      }
    }, pollMs);
    return () => window.clearTimeout(t);
  }, [api, schoolId, job, waiting, pollMs]);

  const start = async () => {
    setError(null);
    started.current = Date.now();
    try {
      setJob(await api.exportUsers(schoolId));
      setFetchedAt(Date.now());
    } catch (e) {
      setError(errorText(e));
    }
  };

  // A link kept open for a while has expired: sign a fresh one, then follow it.
  const download = async (ev: MouseEvent<HTMLAnchorElement>) => {
    if (!job || Date.now() - fetchedAt < LINK_FRESH_MS) return;
    ev.preventDefault();
    try {
      const fresh = await api.usersExport(schoolId, job.id);
      setJob(fresh);
      setFetchedAt(Date.now());
      if (fresh.downloadUrl) window.location.assign(fresh.downloadUrl);
    } catch (e) {
      setError(errorText(e));
    }
  };

  return (
    <div className="export-users">
      <button type="button" className="secondary" onClick={start} disabled={waiting} aria-describedby={statusId}>
        Export users
      </button>
      <InlineError message={error} />
      <p id={statusId} role="status" aria-live="polite" className="help">
        {exportProgress(job)}
      </p>
      {job?.status === 'done' && job.downloadUrl && (
        <p>
          <a href={job.downloadUrl} download onClick={download}>
            Download the users file (CSV)
          </a>
        </p>
      )}
    </div>
  );
}
