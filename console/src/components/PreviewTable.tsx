import type { Import, PreviewRow, RowStatus } from '../api/types';
import { RowBadge } from './StatusBadge';

/** PreviewTable shows the preview's rows (at most 50, invalid first) as text, never as markup. */
export function PreviewTable({ imp, update = false }: { imp: Import; update?: boolean }) {
  const rows = imp.preview ?? [];
  if (rows.length === 0) return null;
  const users = imp.kind === 'users';
  return (
    <div className="table-wrap">
      <table>
        <caption>{imp.previewNote ?? `All ${rows.length} rows of the file`}</caption>
        <thead>
          <tr>
            <th scope="col">Row</th>
            {users ? (
              <>
                <th scope="col">Email</th>
                <th scope="col">Name</th>
                <th scope="col">Group</th>
              </>
            ) : (
              <>
                <th scope="col">Student</th>
                <th scope="col">Parent</th>
                <th scope="col">Type</th>
              </>
            )}
            <th scope="col">Status</th>
            <th scope="col">Details</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => {
            const shown = users ? userRow(r, update) : { status: r.status, detail: r.error || r.reason || '', changes: false };
            return (
              <tr key={r.row}>
                <td>{r.row}</td>
                {users ? <UserCells r={r} /> : <LinkCells r={r} />}
                <td>
                  <RowBadge status={shown.status} />
                </td>
                <td>
                  {shown.detail}
                  {users && shown.changes && <RowChanges r={r} />}
                  {users && r.parents && r.parents.length > 0 && <RowParents r={r} />}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

const fieldLabel: Record<string, string> = { first_name: 'First name', last_name: 'Last name', group: 'Group', user_id: 'User id' };

/** userRow is how a users row reads with or without updating existing users. */
export function userRow(r: PreviewRow, update: boolean): { status: RowStatus; detail: string; changes: boolean } {
  if (!update || !r.updateOutcome) return { status: r.status, detail: r.error || r.reason || '', changes: false };
  switch (r.updateOutcome) {
    case 'update':
      return { status: 'updated', detail: '', changes: true };
    case 'removed':
      return { status: 'skipped', detail: 'Removed from the school; not brought back', changes: false };
    default:
      return { status: 'unchanged', detail: r.markedRemoved ? 'Removed, as the file says' : 'The file says what the school has', changes: false };
  }
}

function RowChanges({ r }: { r: PreviewRow }) {
  return (
    <ul className="changes" aria-label="Changes">
      {(r.changes ?? []).map((c) => (
        <li key={c.field}>
          {fieldLabel[c.field] ?? c.field}: {c.before || '(blank)'} → {c.after}
        </li>
      ))}
    </ul>
  );
}

function RowParents({ r }: { r: PreviewRow }) {
  return (
    <ul className="parents" aria-label="Parent links">
      {(r.parents ?? []).map((p) => (
        <li key={p.email}>
          Parent {p.email} ({p.type.replace('_', ' ')}){p.error ? `: ${p.error}` : ': will be linked'}
        </li>
      ))}
    </ul>
  );
}

function UserCells({ r }: { r: PreviewRow }) {
  return (
    <>
      <td>{r.email}</td>
      <td>{[r.firstName, r.lastName].filter(Boolean).join(' ')}</td>
      <td>{r.group}</td>
    </>
  );
}

function LinkCells({ r }: { r: PreviewRow }) {
  return (
    <>
      <td>{r.studentEmail || r.studentId}</td>
      <td>{r.parentEmail || r.parentId}</td>
      <td>{r.relationshipType}</td>
    </>
  );
}
