import { useEffect, useState } from 'react';
import type { User } from 'oidc-client-ts';
import { ApiError, type Api } from '../api/client';
import type { Accepted } from '../api/types';
import { Notice } from './Notice';
import { errorText } from './errorText';

type State = { kind: 'working' } | { kind: 'done'; accepted: Accepted } | { kind: 'dead' | 'otherAddress' | 'otherLogin' | 'error'; message: string };

/**
 * AcceptPage is where an invitation's link lands (/accept?token=...): sign
 * in (or create a login) with the invited address, then join the school.
 */
export function AcceptPage({ api, user, onSignIn }: { api: Api; user: User | null; onSignIn: () => void }) {
  const token = new URLSearchParams(window.location.search).get('token') ?? '';
  const [state, setState] = useState<State>({ kind: 'working' });

  useEffect(() => {
    if (!user || !token) return;
    api.accept(token).then(
      (accepted) => setState({ kind: 'done', accepted }),
      (e) => setState(classify(e)),
    );
  }, [api, user, token]);

  if (!token) {
    return (
      <main className="narrow">
        <h1>Accept an invitation</h1>
        <Notice kind="error">This link has no invitation in it. Open the link from your invitation email again.</Notice>
      </main>
    );
  }
  if (!user) {
    return (
      <main className="narrow">
        <h1>You have been invited</h1>
        <p>Sign in with the email address the invitation was sent to. If you do not have a login yet, you can create one on the next page.</p>
        <button type="button" className="primary" onClick={onSignIn}>
          Sign in or create a login
        </button>
      </main>
    );
  }
  return (
    <main className="narrow">
      <h1>Accept an invitation</h1>
      <AcceptOutcome state={state} email={String(user.profile.email ?? '')} />
    </main>
  );
}

function AcceptOutcome({ state, email }: { state: State; email: string }) {
  switch (state.kind) {
    case 'working':
      return <p role="status">Accepting your invitation…</p>;
    case 'done':
      return (
        <Notice kind="success" title={`Welcome to ${state.accepted.schoolName}`}>
          You have joined {state.accepted.schoolName} as {state.accepted.email}. You can close this page.
        </Notice>
      );
    case 'dead':
      return (
        <Notice kind="error" title="This invitation can no longer be used">
          {state.message}
        </Notice>
      );
    case 'otherAddress':
      return (
        <Notice kind="error" title="Signed in with another address">
          You are signed in as {email}. {state.message}
        </Notice>
      );
    case 'otherLogin':
      return (
        <Notice kind="error" title="Another login joined with this invitation">
          {state.message}
        </Notice>
      );
    default:
      return <Notice kind="error">{state.message}</Notice>;
  }
}

/** classify sorts the API's answer into the pages above. */
export function classify(e: unknown): State {
  const message = errorText(e);
  if (e instanceof ApiError) {
    if (e.status === 404) return { kind: 'dead', message };
    if (e.status === 403 && message.includes('another email address')) return { kind: 'otherAddress', message };
    if (e.status === 403) return { kind: 'otherLogin', message };
  }
  return { kind: 'error', message };
}
