// Pages inside the app are addressed by the URL's fragment (#/schools/...),
// so no console route can shadow an API path on the same origin. Only the
// invitation link (/accept) and the sign-in callback (/callback) are real
// paths.
import { useEffect, useState } from 'react';
import type { ImportKind } from './api/types';

export type Route =
  | { page: 'schools' }
  | { page: 'import'; schoolId: string; kind: ImportKind }
  | { page: 'importView'; schoolId: string; importId: string }
  | { page: 'history'; schoolId: string }
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
