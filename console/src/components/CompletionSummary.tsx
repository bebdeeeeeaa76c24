import type { Api } from '../api/client';
import type { Import } from '../api/types';
import { count } from '../format';
import { href } from '../routes';
import { FileLink } from './FileLink';
import { Notice } from './Notice';

/** CompletionSummary says what the import did, with the results file. */
export function CompletionSummary({ api, imp }: { api: Api; imp: Import }) {
  const r = imp.results;
  const users = imp.kind === 'users';
  const lines: [string, number][] = users
    ? [
        [imp.sendInvitations ? 'Invitations created and sent' : 'Invitations created (held, not sent)', r.created],
        ['Skipped: already a member', r.skippedMember],
        ['Skipped: already invited', r.skippedInvited],
        ['Failed', r.failed],
      ]
    : [
        ['Relationships created', r.created],
        ['Relationships updated', r.updated],
        ['Already linked (unchanged)', r.unchanged],
        ['Failed', r.failed],
      ];
  const total = imp.progress.total;
  return (
    <>
    <div className="progress">
      <label htmlFor="import-bar">
        Imported: {count(total)} of {count(total)} rows (100%)
      </label>
      <progress id="import-bar" max={100} value={100} />
    </div>
    <Notice kind={imp.status === 'completed' ? 'success' : 'info'} title={imp.status === 'completed' ? 'Import complete' : 'Import complete, with errors'}>
      <ul className="results">
        {lines.map(([label, n]) => (
          <li key={label}>
            <strong>{count(n)}</strong> {label}
          </li>
        ))}
      </ul>
      <p>
        <FileLink api={api} schoolId={imp.schoolId} importId={imp.id} file="results">
          Download the results file
        </FileLink>{' '}
        (every row and what became of it) ·{' '}
        <a href={href({ page: 'import', schoolId: imp.schoolId, kind: imp.kind })}>Import another file</a> ·{' '}
        <a href={href({ page: 'history', schoolId: imp.schoolId })}>Upload history</a>
      </p>
    </Notice>
    </>
  );
}
