import { useEffect, useMemo, useState } from 'react';
import type { User } from 'oidc-client-ts';
import { Api } from '../api/client';
import type { Auth } from '../auth';
import { AcceptPage } from './AcceptPage';
import { AdminArea } from './AdminArea';
import { SignInPage } from './SignInPage';
import { Notice } from './Notice';

/** App picks the page by path: the invitation link, the sign-in callback, or the admin area. */
export function App({ auth }: { auth: Auth }) {
  const path = window.location.pathname;
  const [user, setUser] = useState<User | null | undefined>(undefined);
  const [callbackError, setCallbackError] = useState<string | null>(null);
  const api = useMemo(() => new Api(async () => (await auth.user())?.id_token ?? null), [auth]);

  useEffect(() => {
    if (path === '/callback') {
      auth
        .completeSignIn()
        .then((to) => window.location.replace(to))
        .catch(() => setCallbackError('Signing in did not complete. Try again.'));
      return;
    }
    auth.user().then(setUser, () => setUser(null));
  }, [auth, path]);

  if (path === '/callback') {
    return callbackError ? <Notice kind="error" title="Sign-in failed">{callbackError} <a href="/">Start again</a></Notice> : <p role="status">Signing you in…</p>;
  }
  if (user === undefined) return <p role="status">Loading…</p>;
  const returnTo = window.location.pathname + window.location.search + window.location.hash;
  if (path === '/accept') {
    return <AcceptPage api={api} user={user} onSignIn={() => auth.signIn(returnTo)} />;
  }
  if (!user) return <SignInPage onSignIn={() => auth.signIn(returnTo)} />;
  return <AdminArea api={api} email={String(user.profile.email ?? '')} onSignOut={() => auth.signOut()} />;
}
