import { useCallback, useEffect, useState } from 'react';
import type { Api } from '../api/client';
import type { Import } from '../api/types';
import { isFinal } from '../format';
import { href } from '../routes';
import { CompletionSummary } from './CompletionSummary';
import { ConfirmPanel } from './ConfirmPanel';
import { FileLink } from './FileLink';
import { ImportProgress } from './ImportProgress';
import { Notice } from './Notice';
import { PreviewSummary } from './PreviewSummary';
import { PreviewTable } from './PreviewTable';
import { PreviewWarnings } from './PreviewWarnings';
import { ImportBadge } from './StatusBadge';
import { errorText } from './errorText';

/** ImportView follows one import from the check of its file to its completion. */
export function ImportView({ api, schoolId, importId }: { api: Api; schoolId: string; importId: string }) {
  const [imp, setImp] = useState<Import | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [confirming, setConfirming] = useState(false);
  const [update, setUpdate] = useState(false);

  const load = useCallback(() => api.getImport(schoolId, importId).then(setImp, (e) => setError(errorText(e))), [api, schoolId, importId]);
  useEffect(() => {
    load();
  }, [load]);
  // Refresh while the service works on it.
  const waiting = imp !== null && !isFinal(imp.status) && imp.status !== 'ready';
  useEffect(() => {
    if (!waiting) return;
    const t = window.setInterval(load, 1000);
    return () => window.clearInterval(t);
  }, [waiting, load]);

  const confirm = async (send: boolean) => {
    setConfirming(true);
    setError(null);
    try {
      setImp(await api.confirmImport(schoolId, importId, send, update));
    } catch (e) {
      setError(errorText(e));
    } finally {
      setConfirming(false);
    }
  };

  if (!imp) return error ? <Notice kind="error">{error}</Notice> : <p role="status">Loading the import…</p>;
  const title = imp.kind === 'users' ? 'Import users' : 'Link relationships';
  return (
    <section aria-labelledby="view-title">
      <h1 id="view-title">
        {title}: {imp.fileName}
      </h1>
      <p>
        <ImportBadge status={imp.status} />
      </p>
      {error && <Notice kind="error">{error}</Notice>}
      {(imp.status === 'awaiting_upload' || imp.status === 'validating') && <p role="status">Checking your file…</p>}
      {imp.status === 'failed' && (
        <Notice kind="error" title="This file could not be imported">
          {imp.failureReason} <a href={href({ page: 'import', schoolId, kind: imp.kind })}>Upload a file</a>
        </Notice>
      )}
      {imp.status === 'ready' && (
        <>
          <h2>Preview</h2>
          <PreviewSummary imp={imp} update={update} />
          <PreviewWarnings imp={imp} update={update} />
          {imp.counts.invalid > 0 && (
            <p>
              <FileLink api={api} schoolId={schoolId} importId={importId} file="errors">
                Download the error file
              </FileLink>{' '}
              (your rows with an error column, to fix and upload again)
            </p>
          )}
          <PreviewTable imp={imp} update={update} />
          <ConfirmPanel imp={imp} onConfirm={confirm} busy={confirming} update={update} onUpdateChange={setUpdate} />
        </>
      )}
      {(imp.status === 'queued' || imp.status === 'importing') && <ImportProgress imp={imp} />}
      {(imp.status === 'completed' || imp.status === 'completed_with_errors') && <CompletionSummary api={api} imp={imp} />}
    </section>
  );
}
