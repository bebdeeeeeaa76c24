import { useState } from 'react';
import type { Api } from '../api/client';
import type { User } from '../api/types';
import { when } from '../format';
import { href } from '../routes';
import { useLatest } from '../useLatest';
import { InlineError } from './InlineError';
import { Notice } from './Notice';
import { errorText } from './errorText';
import { useAction } from '../useAction';

/** mailStatusWords is an invitation's mail as the administrator reads it. */
export function mailStatusWords(u: User): string {
  switch (u.mailStatus) {
    case 'held':
      return u.mailNote ? `Held: ${u.mailNote}` : 'Held (not sent)';
    case 'queued':
      return u.mailNote ? `Waiting: ${u.mailNote}` : 'Queued';
    case 'sent':
      return u.lastSentAt ? `Sent ${when(u.lastSentAt)}` : 'Sent';
    case 'failed':
      return `Failed: ${u.mailError ?? 'the mail could not be sent'}`;
    case 'bounced':
      return 'Bounced';
  }
  return '';
}

/** InvitationsPage lists pending invitations: send held ones, resend, cancel. */
export function InvitationsPage({ api, schoolId }: { api: Api; schoolId: string }) {
  const [cursor, setCursor] = useState<string | undefined>(undefined);
  const list = useLatest(`${schoolId}/${cursor ?? ''}`, () => api.invitations(schoolId, cursor));
  const [chosen, setChosen] = useState<Set<string>>(new Set());
  const [message, setMessage] = useState<string | null>(null);
  const [run, error] = useAction();
  const users = list.value?.users ?? [];
  const held = users.filter((u) => u.mailStatus === 'held');

  const act = (what: () => Promise<string>) => {
    setMessage(null);
    return run(async () => {
      setMessage(await what());
      setChosen(new Set());
      list.reload();
    });
  };
  const sendChosen = () =>
    act(async () => {
      const r = await api.sendHeld(schoolId, [...chosen]);
      return `${r.queued.length} ${r.queued.length === 1 ? 'invitation' : 'invitations'} sent.` + (r.skipped.length ? ` ${r.skipped.length} skipped.` : '');
    });
  const sendAll = () =>
    act(async () => {
      await api.sendHeld(schoolId, 'all');
      return 'Sending every held invitation; this page shows them as they go.';
    });

  return (
    <section aria-labelledby="inv-title">
      <h1 id="inv-title">Pending invitations</h1>
      {message && <Notice kind="success">{message}</Notice>}
      {error && <Notice kind="error">{error}</Notice>}
      {list.error !== null && <Notice kind="error">{errorText(list.error)}</Notice>}
      <p className="actions">
        <button type="button" className="primary" disabled={chosen.size === 0} onClick={sendChosen}>
          Send {chosen.size > 0 ? chosen.size : ''} selected
        </button>{' '}
        <button type="button" className="secondary" onClick={sendAll}>
          Send all held invitations
        </button>
      </p>
      {list.value && users.length === 0 && <p>No pending invitations: everyone invited has joined.</p>}
      {users.length > 0 && (
        <div className="table-wrap">
          <table>
            <caption className="visually-hidden">Pending invitations</caption>
            <thead>
              <tr>
                <th scope="col">
                  <input
                    type="checkbox"
                    aria-label="Select every held invitation on this page"
                    checked={held.length > 0 && held.every((u) => chosen.has(u.email))}
                    onChange={(e) => setChosen(e.target.checked ? new Set(held.map((u) => u.email)) : new Set())}
                  />
                </th>
                <th scope="col">Person</th>
                <th scope="col">Invited</th>
                <th scope="col">Mail</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {users.map((u) => (
                <InvitationRow key={u.email} api={api} schoolId={schoolId} user={u} chosen={chosen.has(u.email)} onChoose={(on) => {
                  const next = new Set(chosen);
                  if (on) next.add(u.email);
                  else next.delete(u.email);
                  setChosen(next);
                }} onDone={(m) => act(async () => m)} />
              ))}
            </tbody>
          </table>
        </div>
      )}
      {list.value?.nextCursor && (
        <button type="button" className="secondary" onClick={() => setCursor(list.value?.nextCursor)}>
          Next page
        </button>
      )}
    </section>
  );
}

function InvitationRow({ api, schoolId, user, chosen, onChoose, onDone }: {
  api: Api; schoolId: string; user: User; chosen: boolean; onChoose: (on: boolean) => void; onDone: (message: string) => void;
}) {
  const [asking, setAsking] = useState(false);
  const [act, error] = useAction();
  const name = [user.firstName, user.lastName].filter(Boolean).join(' ') || user.email;
  const run = (f: () => Promise<unknown>, done: string) =>
    act(async () => {
      await f();
      onDone(done);
    });
  return (
    <tr>
      <td>{user.mailStatus === 'held' && <input type="checkbox" aria-label={`Select ${name}`} checked={chosen} onChange={(e) => onChoose(e.target.checked)} />}</td>
      <td>
        <a href={href({ page: 'user', schoolId, email: user.email })}>{name}</a>
        <div className="help">{user.email}</div>
      </td>
      <td>{when(user.invitedAt)}</td>
      <td>{mailStatusWords(user)}</td>
      <td>
        {user.mailStatus !== 'held' && (
          <button type="button" className="link" onClick={() => run(() => api.resendInvitation(schoolId, user.email), `Invitation sent again to ${user.email}.`)}>
            Resend
          </button>
        )}{' '}
        {!asking ? (
          <button type="button" className="link" onClick={() => setAsking(true)}>
            Cancel invitation
          </button>
        ) : (
          <span role="alertdialog" aria-label={`Cancel the invitation of ${name}?`}>
            Cancel the invitation of {name}?{' '}
            <button type="button" className="primary" onClick={() => run(() => api.cancelInvitation(schoolId, user.email), `The invitation of ${name} is cancelled.`)}>
              Yes, cancel it
            </button>{' '}
            <button type="button" className="secondary" onClick={() => setAsking(false)}>
              Keep it
            </button>
          </span>
        )}
        <InlineError message={error} />
      </td>
    </tr>
  );
}
