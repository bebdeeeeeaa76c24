import { useState } from 'react';
import type { Api } from '../api/client';
import type { ImportKind } from '../api/types';
import { bytes, percent } from '../format';
import { go } from '../routes';
import { putFile } from '../upload';
import { FileChooser } from './FileChooser';
import { FormatGuide } from './FormatGuide';
import { Notice } from './Notice';
import { PasteBox } from './PasteBox';
import { TemplateDownload } from './TemplateDownload';
import { errorText } from './errorText';

/** ImportStart is the first step of an import: the guide, the template, and the file. */
export function ImportStart({ api, schoolId, kind }: { api: Api; schoolId: string; kind: ImportKind }) {
  const [upload, setUpload] = useState<{ name: string; size: number; fraction: number } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const busy = upload !== null;

  const sendFile = async (f: File) => {
    setError(null);
    setUpload({ name: f.name, size: f.size, fraction: 0 });
    try {
      const imp = await api.startImport(schoolId, { kind, fileName: f.name, size: f.size });
      if (!imp.upload) throw new Error('The service did not give an upload address. Try again.');
      await putFile(imp.upload.url, imp.upload.method, imp.upload.headers, f, (fraction) => setUpload({ name: f.name, size: f.size, fraction }));
      go({ page: 'importView', schoolId, importId: imp.id });
    } catch (e) {
      setUpload(null);
      setError(errorText(e));
    }
  };
  const sendText = async (csv: string) => {
    setError(null);
    setUpload({ name: 'pasted text', size: csv.length, fraction: 0 });
    try {
      const imp = await api.startImport(schoolId, { kind, csv });
      go({ page: 'importView', schoolId, importId: imp.id });
    } catch (e) {
      setUpload(null);
      setError(errorText(e));
    }
  };

  return (
    <section aria-labelledby="import-title">
      <h1 id="import-title">{kind === 'users' ? 'Import users' : 'Link relationships'}</h1>
      <FormatGuide kind={kind} />
      <TemplateDownload api={api} schoolId={schoolId} kind={kind} />
      {error && <Notice kind="error">{error}</Notice>}
      <FileChooser onFile={sendFile} disabled={busy} />
      {upload && (
        <div className="upload-progress">
          <label htmlFor="upload-bar">
            Uploading {upload.name} ({bytes(upload.size)}): {percent(upload.fraction * 100, 100)}%
          </label>
          <progress id="upload-bar" max={100} value={Math.round(upload.fraction * 100)} />
        </div>
      )}
      <PasteBox onSubmit={sendText} disabled={busy} />
    </section>
  );
}
