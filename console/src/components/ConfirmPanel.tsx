import { useId, useState } from 'react';
import type { Import } from '../api/types';
import { count } from '../format';

/** ConfirmPanel offers the invitations toggle (users) and the button that starts the import. */
export function ConfirmPanel({ imp, onConfirm, busy }: { imp: Import; onConfirm: (send: boolean) => void; busy: boolean }) {
  const id = useId();
  const [send, setSend] = useState(true);
  const n = imp.kind === 'users' ? imp.counts.valid : imp.counts.valid + imp.counts.updated + imp.counts.unchanged;
  const label = imp.kind === 'users' ? `Import ${count(n)} ${n === 1 ? 'user' : 'users'}` : `Link ${count(n)} ${n === 1 ? 'relationship' : 'relationships'}`;
  return (
    <div className="confirm">
      {imp.kind === 'users' && (
        <div className="toggle">
          <input id={id} type="checkbox" role="switch" checked={send} onChange={(e) => setSend(e.target.checked)} aria-describedby={`${id}-help`} />
          <label htmlFor={id}>Send invitation emails now</label>
          <p id={`${id}-help`} className="help">
            {send ? 'Each new person gets an email with a link to join.' : 'Invitations are created and held; you can send them later.'}
          </p>
        </div>
      )}
      {n === 0 ? (
        <p>There are no valid rows to import. Fix the errors and upload the file again.</p>
      ) : (
        <button type="button" className="primary" disabled={busy} onClick={() => onConfirm(send)}>
          {label}
        </button>
      )}
    </div>
  );
}
