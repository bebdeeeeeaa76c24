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
        ...(imp.updateExisting
          ? ([
              ['Updated', r.updated],
              ['Unchanged', r.unchanged],
              ['Skipped: removed, not brought back', r.skippedRemoved],
            ] as [string, number][])
          : []),
        ['Failed', r.failed],
        ...(r.links.created + r.links.updated + r.links.unchanged + r.links.failed > 0 || imp.counts.linkErrors > 0
          ? ([
              ['Parent links created', r.links.created],
              ['Parent links updated (new type)', r.links.updated],
              ['Parent links already there', r.links.unchanged],
              ['Parent links not made', r.links.failed + imp.counts.linkErrors],
            ] as [string, number][])
          : []),
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
