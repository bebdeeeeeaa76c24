import { useId, useState } from 'react';
import type { Import } from '../api/types';
import { count } from '../format';

/** ConfirmPanel offers the invitations and update toggles (users) and the button that starts the import. */
export function ConfirmPanel({
  imp,
  onConfirm,
  busy,
  update = false,
  onUpdateChange,
}: {
  imp: Import;
  onConfirm: (send: boolean) => void;
  busy: boolean;
  update?: boolean;
  onUpdateChange?: (update: boolean) => void;
}) {
  const id = useId();
  const [send, setSend] = useState(true);
  const c = imp.counts;
  const existing = c.updateChanges + c.updateUnchanged + c.updateRemoved;
  const users = imp.kind === 'users';
  // With updates: the new people and those whose values change (removed people stay removed).
  const people = users ? (update ? c.valid - c.updateRemoved + c.updateChanges : c.valid) : c.valid + c.updated + c.unchanged;
  const n = people + (users ? c.links : 0);
  const links = users && c.links > 0 ? ` and ${count(c.links)} parent ${c.links === 1 ? 'link' : 'links'}` : '';
  const label = users ? `Import ${count(people)} ${people === 1 ? 'user' : 'users'}${links}` : `Link ${count(n)} ${n === 1 ? 'relationship' : 'relationships'}`;
  return (
    <div className="confirm">
      {users && (
        <div className="toggle">
          <input id={id} type="checkbox" role="switch" checked={send} onChange={(e) => setSend(e.target.checked)} aria-describedby={`${id}-help`} />
          <label htmlFor={id}>Send invitation emails now</label>
          <p id={`${id}-help`} className="help">
            {send ? 'Each new person gets an email with a link to join.' : 'Invitations are created and held; you can send them later.'}
          </p>
        </div>
      )}
      {users && existing > 0 && onUpdateChange && (
        <div className="toggle">
          <input
            id={`${id}-update`}
            type="checkbox"
            role="switch"
            checked={update}
            onChange={(e) => onUpdateChange(e.target.checked)}
            aria-describedby={`${id}-update-help`}
          />
          <label htmlFor={`${id}-update`}>Update people already in the school</label>
          <p id={`${id}-update-help`} className="help">
            {update
              ? `Their names, groups and ids are updated from the file (${count(c.updateChanges)} will change, ${count(c.updateUnchanged)} unchanged); they are not invited again. A blank cell changes nothing; a group cell replaces their groups.` +
                (c.updateRemoved > 0 ? ` ${count(c.updateRemoved)} removed ${c.updateRemoved === 1 ? 'person stays' : 'people stay'} removed.` : '')
              : `${count(existing)} ${existing === 1 ? 'person is' : 'people are'} already in the school: they are skipped.`}
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
