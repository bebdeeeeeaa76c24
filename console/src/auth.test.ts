import { describe, expect, it } from 'vitest';
import { logoutUrl, safeReturn } from './auth';

describe('logoutUrl', () => {
  it("is Cognito's /logout with the client and the way back", () => {
    expect(logoutUrl('https://roster-1.auth.eu-west-2.amazoncognito.com/logout', 'abc', 'https://api.example.org')).toBe(
      'https://roster-1.auth.eu-west-2.amazoncognito.com/logout?client_id=abc&logout_uri=https%3A%2F%2Fapi.example.org%2F',
    );
  });
});

describe('safeReturn', () => {
  it.each([
    [undefined, '/'],
    ['', '/'],
    ['/accept?token=abc', '/accept?token=abc'],
    ['/#/schools/hill', '/#/schools/hill'],
    ['//evil.example/x', '/'],
    ['https://evil.example/', '/'],
  ])('%s → %s', (to, want) => {
    expect(safeReturn(to)).toBe(want);
  });
});
