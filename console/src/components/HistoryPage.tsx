import { useCallback, useEffect, useState } from 'react';
import type { Api } from '../api/client';
import type { Import } from '../api/types';
import { count, isRunning, when } from '../format';
import { href } from '../routes';
import { FileLink } from './FileLink';
import { Notice } from './Notice';
import { ImportBadge } from './StatusBadge';
import { errorText } from './errorText';

/** HistoryPage lists the school's imports, newest first; it refreshes while one runs. */
export function HistoryPage({ api, schoolId }: { api: Api; schoolId: string }) {
  const [imports, setImports] = useState<Import[] | null>(null);
  const [next, setNext] = useState<string | undefined>(undefined);
  const [error, setError] = useState<string | null>(null);

  const load = useCallback(async () => {
    try {
      const page = await api.listImports(schoolId);
      setImports((old) => {
        // Keep the pages loaded beyond the first; the first is fresh.
        const fresh = new Set(page.imports.map((i) => i.id));
        return [...page.imports, ...(old ?? []).slice(page.imports.length).filter((i) => !fresh.has(i.id))];
      });
      setNext((n) => n ?? page.nextCursor);
    } catch (e) {
      setError(errorText(e));
    }
  }, [api, schoolId]);
  useEffect(() => {
    load();
  }, [load]);
  const running = imports?.some((i) => isRunning(i.status) || i.status === 'awaiting_upload') ?? false;
  useEffect(() => {
    if (!running) return;
    const t = window.setInterval(load, 3000);
    return () => window.clearInterval(t);
  }, [running, load]);

  const more = async () => {
    if (!next) return;
    try {
      const page = await api.listImports(schoolId, next);
      setImports((old) => [...(old ?? []), ...page.imports]);
      setNext(page.nextCursor);
    } catch (e) {
      setError(errorText(e));
    }
  };

  return (
    <section aria-labelledby="history-title">
      <h1 id="history-title">Upload history</h1>
      {error && <Notice kind="error">{error}</Notice>}
      {imports === null && !error && <p role="status">Loading…</p>}
      {imports?.length === 0 && (
        <p>
          No uploads yet. <a href={href({ page: 'import', schoolId, kind: 'users' })}>Import users</a> to begin.
        </p>
      )}
      {imports && imports.length > 0 && (
        <div className="table-wrap">
          <table>
            <caption className="visually-hidden">Imports of this school, newest first</caption>
            <thead>
              <tr>
                <th scope="col">File</th>
                <th scope="col">Kind</th>
                <th scope="col">Uploaded by</th>
                <th scope="col">When</th>
                <th scope="col">Status</th>
                <th scope="col">Rows</th>
                <th scope="col">Files</th>
              </tr>
            </thead>
            <tbody>
              {imports.map((imp) => (
                <HistoryRow key={imp.id} api={api} imp={imp} />
              ))}
            </tbody>
          </table>
        </div>
      )}
      {next && (
        <button type="button" className="secondary" onClick={more}>
          Show older uploads
        </button>
      )}
    </section>
  );
}

function HistoryRow({ api, imp }: { api: Api; imp: Import }) {
  const done = imp.status === 'completed' || imp.status === 'completed_with_errors';
  const r = imp.results;
  const rows = done
    ? imp.kind === 'users'
      ? `${count(r.created)} created, ${count(r.skippedMember + r.skippedInvited)} skipped, ${count(r.failed)} failed`
      : `${count(r.created)} created, ${count(r.updated)} updated, ${count(r.unchanged)} unchanged, ${count(r.failed)} failed`
    : imp.counts.total > 0
      ? `${count(imp.counts.total)} rows: ${count(imp.counts.valid)} valid, ${count(imp.counts.invalid)} invalid`
      : '';
  return (
    <tr>
      <td>
        <a href={href({ page: 'importView', schoolId: imp.schoolId, importId: imp.id })}>{imp.fileName}</a>
      </td>
      <td>{imp.kind === 'users' ? 'Users' : 'Relationships'}</td>
      <td>{imp.uploadedBy}</td>
      <td>{when(imp.createdAt)}</td>
      <td>
        <ImportBadge status={imp.status} />
        {imp.status === 'failed' && imp.failureReason && <span className="help"> {imp.failureReason}</span>}
      </td>
      <td>{rows}</td>
      <td className="files">
        {imp.status !== 'awaiting_upload' && (
          <FileLink api={api} schoolId={imp.schoolId} importId={imp.id} file="uploaded">
            Uploaded file
          </FileLink>
        )}
        {imp.counts.invalid > 0 && (
          <FileLink api={api} schoolId={imp.schoolId} importId={imp.id} file="errors">
            Error file
          </FileLink>
        )}
        {done && (
          <FileLink api={api} schoolId={imp.schoolId} importId={imp.id} file="results">
            Results file
          </FileLink>
        )}
      </td>
    </tr>
  );
}
