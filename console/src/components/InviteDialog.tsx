import { useId, useState } from 'react';
import type { Api } from '../api/client';
import type { Group, Role, User } from '../api/types';
import { InlineError } from './InlineError';
import { useAction } from '../useAction';

/** InviteDialog invites one person: email, names, role or groups, send now or hold. */
export function InviteDialog({ api, schoolId, groups, callerRole, onInvited }: { api: Api; schoolId: string; groups: Group[]; callerRole: Role; onInvited: (u: User) => void }) {
  const id = useId();
  const [open, setOpen] = useState(false);
  const [email, setEmail] = useState('');
  const [first, setFirst] = useState('');
  const [last, setLast] = useState('');
  const [group, setGroup] = useState('');
  const [role, setRole] = useState<Role>('');
  const [send, setSend] = useState(true);
  const [run, error, busy] = useAction();
  if (!open) {
    return (
      <button type="button" className="primary" onClick={() => setOpen(true)}>
        Invite someone
      </button>
    );
  }
  const submit = () =>
    run(async () => {
      const u = await api.invite(schoolId, { email, firstName: first, lastName: last, role, groups: group ? [group] : [], send });
      setOpen(false);
      setEmail('');
      setFirst('');
      setLast('');
      onInvited(u);
    });
  return (
    <form role="dialog" aria-labelledby={`${id}-title`} className="editor dialog" onSubmit={(e) => (e.preventDefault(), submit())}>
      <h2 id={`${id}-title`}>Invite someone</h2>
      <label htmlFor={`${id}-email`}>Email</label>
      <input id={`${id}-email`} type="email" required value={email} onChange={(e) => setEmail(e.target.value)} autoFocus />
      <label htmlFor={`${id}-first`}>First name</label>
      <input id={`${id}-first`} value={first} onChange={(e) => setFirst(e.target.value)} />
      <label htmlFor={`${id}-last`}>Last name</label>
      <input id={`${id}-last`} value={last} onChange={(e) => setLast(e.target.value)} />
      <label htmlFor={`${id}-group`}>Group</label>
      <select id={`${id}-group`} value={group} onChange={(e) => setGroup(e.target.value)}>
        <option value="">Students (the default)</option>
        {groups.map((g) => (
          <option key={g.id} value={g.id}>
            {g.name}
          </option>
        ))}
      </select>
      <label htmlFor={`${id}-role`}>Role</label>
      <select id={`${id}-role`} value={role} onChange={(e) => setRole(e.target.value as Role)}>
        <option value="">No role</option>
        <option value="manager">Manager</option>
        {callerRole === 'owner' && <option value="owner">Owner</option>}
      </select>
      <label className="check">
        <input type="checkbox" checked={send} onChange={(e) => setSend(e.target.checked)} /> Send the invitation email now
      </label>
      <p>
        <button type="submit" className="primary" disabled={busy}>
          Invite
        </button>{' '}
        <button type="button" className="secondary" onClick={() => setOpen(false)}>
          Cancel
        </button>
        <InlineError message={error} />
      </p>
    </form>
  );
}
