import { useId, useState } from 'react';
import type { Api } from '../api/client';
import type { Group, Link, Role, School, User } from '../api/types';
import { userStatusLabel, when } from '../format';
import { href } from '../routes';
import { useLatest } from '../useLatest';
import { InlineError } from './InlineError';
import { mailStatusWords } from './InvitationsPage';
import { Notice } from './Notice';
import { errorText } from './errorText';
import { useAction } from '../useAction';

/** UserPage shows one user and the changes an administrator may make. */
export function UserPage({ api, schoolId, email, caller }: { api: Api; schoolId: string; email: string; caller: { email: string; role: Role } }) {
  const user = useLatest<User>(`${schoolId}/${email}`, () => api.getUser(schoolId, email));
  const school = useLatest<School>(`school/${schoolId}`, () => api.school(schoolId));
  const [saved, setSaved] = useState<User | null>(null);
  const u = saved && saved.email === email ? saved : user.value;
  if (user.error !== null && !u) return <Notice kind="error">{errorText(user.error)}</Notice>;
  if (!u) return <p role="status">Loading…</p>;
  const name = [u.firstName, u.lastName].filter(Boolean).join(' ') || u.email;
  const save = async (change: Parameters<Api['updateUser']>[2]) => setSaved(await api.updateUser(schoolId, email, change));
  return (
    <section aria-labelledby="user-title">
      <p>
        <a href={href({ page: 'users', schoolId, q: '', group: '', status: '', cursor: '' })}>All users</a>
      </p>
      <h1 id="user-title">{name}</h1>
      <dl className="profile">
        <dt>Email</dt>
        <dd>{u.email}</dd>
        <dt>Status</dt>
        <dd>{userStatusLabel[u.status]}</dd>
        {u.userId && (
          <>
            <dt>User id</dt>
            <dd>{u.userId}</dd>
          </>
        )}
        {u.joinedAt && (
          <>
            <dt>Joined</dt>
            <dd>{when(u.joinedAt)}</dd>
          </>
        )}
        {u.status === 'invited' && (
          <>
            <dt>Invitation</dt>
            <dd>
              {mailStatusWords(u)} {u.sendCount > 0 && `(sent ${u.sendCount} ${u.sendCount === 1 ? 'time' : 'times'})`}
            </dd>
          </>
        )}
      </dl>
      {u.status !== 'removed' && (
        <>
          <NamesEditor user={u} onSave={(firstName, lastName) => save({ firstName, lastName })} />
          <GroupsEditor user={u} groups={school.value?.groups ?? []} onSave={(groups) => save({ groups })} />
          <RoleEditor user={u} caller={caller} onSave={(role) => save({ role })} />
          {u.status === 'invited' && <ResendButton onResend={async () => setSaved(await api.resendInvitation(schoolId, email))} />}
          <Relationships links={u.relationships ?? []} email={u.email} onUnlink={async (l) => {
            await api.unlink(schoolId, l.student.email, l.parent.email);
            user.reload();
            setSaved(null);
          }} />
          {u.role === 'owner' && caller.role !== 'owner' && <p className="help">Only an owner can remove an owner.</p>}
          {u.email !== caller.email && !(u.role === 'owner' && caller.role !== 'owner') && (
            <RemoveButton name={name} onRemove={async () => setSaved(await api.removeUser(schoolId, email))} />
          )}
        </>
      )}
    </section>
  );
}


function NamesEditor({ user, onSave }: { user: User; onSave: (first: string, last: string) => Promise<void> }) {
  const id = useId();
  const [first, setFirst] = useState(user.firstName);
  const [last, setLast] = useState(user.lastName);
  const [run, error, busy] = useAction();
  return (
    <form className="editor" onSubmit={(e) => (e.preventDefault(), run(() => onSave(first, last)))}>
      <h2>Name</h2>
      <label htmlFor={`${id}-first`}>First name</label>
      <input id={`${id}-first`} value={first} onChange={(e) => setFirst(e.target.value)} />
      <label htmlFor={`${id}-last`}>Last name</label>
      <input id={`${id}-last`} value={last} onChange={(e) => setLast(e.target.value)} />
      <button type="submit" className="secondary" disabled={busy || (first === user.firstName && last === user.lastName)}>
        Save name
      </button>
      <InlineError message={error} />
    </form>
  );
}

function GroupsEditor({ user, groups, onSave }: { user: User; groups: Group[]; onSave: (ids: string[]) => Promise<void> }) {
  const [chosen, setChosen] = useState(() => new Set(user.groups.map((g) => g.id)));
  const [run, error, busy] = useAction();
  const changed = chosen.size !== user.groups.length || user.groups.some((g) => !chosen.has(g.id));
  return (
    <form className="editor" onSubmit={(e) => (e.preventDefault(), run(() => onSave([...chosen])))}>
      <fieldset>
        <legend>Groups</legend>
        {groups.map((g) => (
          <label key={g.id} className="check">
            <input
              type="checkbox"
              checked={chosen.has(g.id)}
              onChange={(e) => {
                const next = new Set(chosen);
                if (e.target.checked) next.add(g.id);
                else next.delete(g.id);
                setChosen(next);
              }}
            />{' '}
            {g.name}
          </label>
        ))}
      </fieldset>
      <button type="submit" className="secondary" disabled={busy || !changed}>
        Save groups
      </button>
      <InlineError message={error} />
    </form>
  );
}

/** RoleEditor offers only the roles the caller may give; nobody changes their own. */
function RoleEditor({ user, caller, onSave }: { user: User; caller: { email: string; role: Role }; onSave: (r: Role) => Promise<void> }) {
  const id = useId();
  const [role, setRole] = useState<Role>(user.role);
  const [run, error, busy] = useAction();
  if (user.email === caller.email) return <p className="help">You cannot change your own role.</p>;
  if (user.role === 'owner' && caller.role !== 'owner') return <p className="help">Only an owner can change an owner's role.</p>;
  const choices: [Role, string][] = caller.role === 'owner' ? [['', 'No role'], ['manager', 'Manager'], ['owner', 'Owner']] : [['', 'No role'], ['manager', 'Manager']];
  return (
    <form className="editor" onSubmit={(e) => (e.preventDefault(), run(() => onSave(role)))}>
      <label htmlFor={id}>Role</label>
      <select id={id} value={role} onChange={(e) => setRole(e.target.value as Role)}>
        {choices.map(([r, label]) => (
          <option key={r} value={r}>
            {label}
          </option>
        ))}
      </select>
      <button type="submit" className="secondary" disabled={busy || role === user.role}>
        Save role
      </button>
      <InlineError message={error} />
    </form>
  );
}

function ResendButton({ onResend }: { onResend: () => Promise<void> }) {
  const [run, error, busy] = useAction();
  return (
    <p>
      <button type="button" className="secondary" disabled={busy} onClick={() => run(onResend)}>
        Resend invitation
      </button>
      <InlineError message={error} />
    </p>
  );
}

/** RemoveButton asks, naming the person, before removing them. */
function RemoveButton({ name, onRemove }: { name: string; onRemove: () => Promise<void> }) {
  const [asking, setAsking] = useState(false);
  const [run, error, busy] = useAction();
  return (
    <div className="danger">
      {!asking ? (
        <button type="button" className="secondary" onClick={() => setAsking(true)}>
          Remove from school
        </button>
      ) : (
        <div role="alertdialog" aria-labelledby="remove-q" className="notice notice-error">
          <p id="remove-q">Remove {name} from the school? Their invitation stops working; their record and links are kept.</p>
          <button type="button" className="primary" disabled={busy} onClick={() => run(onRemove)} autoFocus>
            Remove {name}
          </button>{' '}
          <button type="button" className="secondary" onClick={() => setAsking(false)}>
            Cancel
          </button>
        </div>
      )}
      <InlineError message={error} />
    </div>
  );
}

/** Relationships lists a person's students or parents, each with remove. */
function Relationships({ links, email, onUnlink }: { links: Link[]; email: string; onUnlink: (l: Link) => Promise<void> }) {
  const [run, error] = useAction();
  if (links.length === 0) return null;
  return (
    <section aria-labelledby="rel-title">
      <h2 id="rel-title">Relationships</h2>
      <ul>
        {links.map((l) => {
          const other = l.student.email === email ? l.parent : l.student;
          const otherName = [other.firstName, other.lastName].filter(Boolean).join(' ') || other.email;
          const role = l.student.email === email ? `parent (${l.type.replace('_', ' ')})` : 'student';
          return (
            <li key={`${l.student.email}/${l.parent.email}`}>
              {otherName}, {role}
              {!l.active && <span className="help"> (inactive: someone was removed)</span>}{' '}
              <button type="button" className="link" onClick={() => run(() => onUnlink(l))}>
                Remove the link with {otherName}
              </button>
            </li>
          );
        })}
      </ul>
      <InlineError message={error} />
    </section>
  );
}
