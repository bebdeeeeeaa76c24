import { describe, expect, it } from 'vitest';
import { href, parseRoute, type Route } from './routes';

describe('parseRoute', () => {
  const cases: [string, Route][] = [
    ['', { page: 'schools' }],
    ['#/', { page: 'schools' }],
    ['#/schools/hill', { page: 'import', schoolId: 'hill', kind: 'users' }],
    ['#/schools/hill/imports/new?kind=relationships', { page: 'import', schoolId: 'hill', kind: 'relationships' }],
    ['#/schools/hill/imports/new?kind=bogus', { page: 'import', schoolId: 'hill', kind: 'users' }],
    ['#/schools/hill/imports/01ABC', { page: 'importView', schoolId: 'hill', importId: '01ABC' }],
    ['#/schools/a%20b/history', { page: 'history', schoolId: 'a b' }],
    ['#/schools/hill/users', { page: 'users', schoolId: 'hill', q: '', group: '', status: '', cursor: '' }],
    ['#/schools/hill/users?q=zo&group=Year%207&status=invited&cursor=abc', { page: 'users', schoolId: 'hill', q: 'zo', group: 'Year 7', status: 'invited', cursor: 'abc' }],
    ['#/schools/hill/users?status=bogus', { page: 'users', schoolId: 'hill', q: '', group: '', status: '', cursor: '' }],
    ['#/schools/hill/users/zo%C3%AB%40hill.school', { page: 'user', schoolId: 'hill', email: 'zoë@hill.school' }],
    ['#/schools/hill/invitations', { page: 'invitations', schoolId: 'hill' }],
    ['#/schools/hill/groups', { page: 'groups', schoolId: 'hill' }],
    ['#/users', { page: 'notFound' }],
    ['#/schools/hill/nope/x/y', { page: 'notFound' }],
  ];
  it.each(cases)('%s', (hash, want) => {
    expect(parseRoute(hash)).toEqual(want);
  });
  it('round-trips through href', () => {
    for (const [, r] of cases) {
      if (r.page === 'notFound') continue;
      expect(parseRoute(href(r))).toEqual(r);
    }
  });
});
