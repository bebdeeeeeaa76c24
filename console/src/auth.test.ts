import { describe, expect, it } from 'vitest';
import { safeReturn } from './auth';

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
