import type { Import, PreviewRow } from '../api/types';
import { RowBadge } from './StatusBadge';

/** PreviewTable shows the preview's rows (at most 50, invalid first) as text, never as markup. */
export function PreviewTable({ imp }: { imp: Import }) {
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
          {rows.map((r) => (
            <tr key={r.row}>
              <td>{r.row}</td>
              {users ? <UserCells r={r} /> : <LinkCells r={r} />}
              <td>
                <RowBadge status={r.status} />
              </td>
              <td>{r.error || r.reason || ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
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
