import { useEffect, useState } from 'react';
import type { Api } from '../api/client';
import type { Me, Membership } from '../api/types';
import { go, href, useRoute } from '../routes';
import { HistoryPage } from './HistoryPage';
import { ImportStart } from './ImportStart';
import { ImportView } from './ImportView';
import { Notice } from './Notice';
import { SchoolPicker } from './SchoolPicker';
import { UserPage } from './UserPage';
import { UsersPage } from './UsersPage';
import { InvitationsPage } from './InvitationsPage';
import { GroupsPage } from './GroupsPage';
import { errorText } from './errorText';

/** AdminArea is the signed-in administrator's console: header, navigation and the page. */
export function AdminArea({ api, email, onSignOut }: { api: Api; email: string; onSignOut: () => void }) {
  const route = useRoute();
  const [me, setMe] = useState<Me | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    api.me().then(setMe, (e) => setError(errorText(e)));
  }, [api]);

  const admin = me?.schools.filter((s) => s.status === 'active' && (s.role === 'owner' || s.role === 'manager')) ?? [];
  // One school: straight to it.
  const only = admin.length === 1 ? admin[0].schoolId : null;
  useEffect(() => {
    if (route.page === 'schools' && only) go({ page: 'import', schoolId: only, kind: 'users' });
  }, [route.page, only]);

  const schoolId = 'schoolId' in route ? route.schoolId : null;
  const school = admin.find((s) => s.schoolId === schoolId);

  return (
    <>
      <header className="top">
        <a className="brand" href="#/">
          School roster
        </a>
        {school && <span className="school-name">{school.schoolName}</span>}
        <span className="who">{email}</span>
        <button type="button" className="link" onClick={onSignOut}>
          Sign out
        </button>
      </header>
      {schoolId && (
        <nav aria-label="School" className="tabs">
          <a href={href({ page: 'users', schoolId, q: '', group: '', status: '', cursor: '' })} aria-current={route.page === 'users' || route.page === 'user' ? 'page' : undefined}>
            Users
          </a>
          <a href={href({ page: 'invitations', schoolId })} aria-current={route.page === 'invitations' ? 'page' : undefined}>
            Pending invitations
          </a>
          <a href={href({ page: 'groups', schoolId })} aria-current={route.page === 'groups' ? 'page' : undefined}>
            Groups
          </a>
          <a href={href({ page: 'import', schoolId, kind: 'users' })} aria-current={route.page === 'import' && route.kind === 'users' ? 'page' : undefined}>
            Import users
          </a>
          <a href={href({ page: 'import', schoolId, kind: 'relationships' })} aria-current={route.page === 'import' && route.kind === 'relationships' ? 'page' : undefined}>
            Link relationships
          </a>
          <a href={href({ page: 'history', schoolId })} aria-current={route.page === 'history' ? 'page' : undefined}>
            Upload history
          </a>
        </nav>
      )}
      <main>
        {error && <Notice kind="error">{error}</Notice>}
        {!me && !error && <p role="status">Loading your schools…</p>}
        {me && <Page route={route} api={api} me={me} admin={admin} email={email} />}
      </main>
    </>
  );
}

function Page({ route, api, me, admin, email }: { route: ReturnType<typeof useRoute>; api: Api; me: Me; admin: Membership[]; email: string }) {
  if (route.page === 'schools') return <SchoolPicker me={me} />;
  if (route.page === 'notFound') return <Notice kind="error">This page does not exist. <a href="#/">Go to your schools</a></Notice>;
  const role = admin.find((s) => s.schoolId === route.schoolId)?.role;
  if (role === undefined) {
    return <Notice kind="error">You are not an administrator of this school. <a href="#/">Go to your schools</a></Notice>;
  }
  switch (route.page) {
    case 'import':
      return <ImportStart key={route.kind} api={api} schoolId={route.schoolId} kind={route.kind} />;
    case 'importView':
      return <ImportView key={route.importId} api={api} schoolId={route.schoolId} importId={route.importId} />;
    case 'history':
      return <HistoryPage api={api} schoolId={route.schoolId} />;
    case 'users':
      return <UsersPage api={api} schoolId={route.schoolId} filters={route} callerRole={role} />;
    case 'invitations':
      return <InvitationsPage api={api} schoolId={route.schoolId} />;
    case 'groups':
      return <GroupsPage api={api} schoolId={route.schoolId} />;
    case 'user':
      return <UserPage key={route.email} api={api} schoolId={route.schoolId} email={route.email} caller={{ email: me.email || email, role }} />;
  }
}
