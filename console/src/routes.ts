// Pages inside the app are addressed by the URL's fragment (#/schools/...),
// so no console route can shadow an API path on the same origin. Only the
// invitation link (/accept) and the sign-in callback (/callback) are real
// paths.
import { useEffect, useState } from 'react';
import type { ImportKind, UserStatus } from './api/types';

/** The users list's filters, all in the URL so a view can be bookmarked or shared. */
export interface UserFilters {
  q: string;
  group: string;
  status: UserStatus | '';
  cursor: string;
}

export type Route =
  | { page: 'schools' }
  | { page: 'import'; schoolId: string; kind: ImportKind }
  | { page: 'importView'; schoolId: string; importId: string }
  | { page: 'history'; schoolId: string }
  | ({ page: 'users'; schoolId: string } & UserFilters)
  | { page: 'user'; schoolId: string; email: string }
  | { page: 'invitations'; schoolId: string }
  | { page: 'groups'; schoolId: string }
  | { page: 'notFound' };

/** parseRoute reads a fragment such as "#/schools/hill/imports/new?kind=users". */
export function parseRoute(hash: string): Route {
  const [path, query = ''] = hash.replace(/^#/, '').split('?');
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  const params = new URLSearchParams(query);
  if (parts.length === 0) return { page: 'schools' };
  if (parts[0] !== 'schools' || parts.length < 2) return { page: 'notFound' };
  const schoolId = parts[1];
  if (parts.length === 2) return { page: 'import', schoolId, kind: 'users' };
  if (parts[2] === 'imports' && parts[3] === 'new' && parts.length === 4) {
    return { page: 'import', schoolId, kind: params.get('kind') === 'relationships' ? 'relationships' : 'users' };
  }
  if (parts[2] === 'imports' && parts.length === 4) return { page: 'importView', schoolId, importId: parts[3] };
  if (parts[2] === 'history' && parts.length === 3) return { page: 'history', schoolId };
  if (parts[2] === 'users' && parts.length === 3) {
    const status = params.get('status');
    return {
      page: 'users', schoolId, q: params.get('q') ?? '', group: params.get('group') ?? '', cursor: params.get('cursor') ?? '',
      status: status === 'active' || status === 'invited' || status === 'removed' ? status : '',
    };
  }
  if (parts[2] === 'users' && parts.length === 4) return { page: 'user', schoolId, email: parts[3] };
  if (parts[2] === 'invitations' && parts.length === 3) return { page: 'invitations', schoolId };
  if (parts[2] === 'groups' && parts.length === 3) return { page: 'groups', schoolId };
  return { page: 'notFound' };
}

/** href is the fragment of a route, the inverse of parseRoute. */
export function href(r: Route): string {
  switch (r.page) {
    case 'schools':
      return '#/';
    case 'import':
      return `#/schools/${encodeURIComponent(r.schoolId)}/imports/new?kind=${r.kind}`;
    case 'importView':
      return `#/schools/${encodeURIComponent(r.schoolId)}/imports/${encodeURIComponent(r.importId)}`;
    case 'history':
      return `#/schools/${encodeURIComponent(r.schoolId)}/history`;
    case 'users': {
      const q = new URLSearchParams();
      for (const k of ['q', 'group', 'status', 'cursor'] as const) if (r[k]) q.set(k, r[k]);
      const qs = q.toString();
      return `#/schools/${encodeURIComponent(r.schoolId)}/users${qs ? `?${qs}` : ''}`;
    }
    case 'user':
      return `#/schools/${encodeURIComponent(r.schoolId)}/users/${encodeURIComponent(r.email)}`;
    case 'invitations':
    case 'groups':
      return `#/schools/${encodeURIComponent(r.schoolId)}/${r.page}`;
    default:
      return '#/';
  }
}

export function go(r: Route): void {
  window.location.hash = href(r);
}

/** useRoute follows the fragment. */
export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(window.location.hash));
  useEffect(() => {
    const on = () => setRoute(parseRoute(window.location.hash));
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return route;
}
