import { describe, expect, it } from 'vitest';
import { bytes, count, duration, isRunning, percent, secondsLeft, statusLabel } from './format';

describe('format', () => {
  it('labels statuses in the upload history words', () => {
    expect(statusLabel.queued).toBe('Queued');
    expect(statusLabel.importing).toBe('In Progress');
    expect(statusLabel.completed_with_errors).toBe('Completed with Errors');
    expect(isRunning('importing')).toBe(true);
    expect(isRunning('completed')).toBe(false);
  });
  it('estimates time left from the rate so far', () => {
    expect(secondsLeft([], 100)).toBeNull();
    expect(secondsLeft([{ at: 0, done: 0 }], 100)).toBeNull();
    expect(secondsLeft([{ at: 0, done: 0 }, { at: 10_000, done: 20 }], 100)).toBe(40);
    expect(secondsLeft([{ at: 0, done: 10 }, { at: 5_000, done: 10 }], 100)).toBeNull(); // no progress: no guess
    expect(secondsLeft([{ at: 0, done: 0 }, { at: 1_000, done: 100 }], 100)).toBeNull(); // done
  });
  it('says durations as people do', () => {
    expect(duration(3)).toBe('a few seconds');
    expect(duration(42)).toBe('about 40 seconds');
    expect(duration(61)).toBe('about a minute');
    expect(duration(600)).toBe('about 10 minutes');
    expect(duration(7200)).toBe('about 2 hours');
  });
  it('caps percentages and formats numbers', () => {
    expect(percent(0, 0)).toBe(0);
    expect(percent(50, 200)).toBe(25);
    expect(percent(250, 200)).toBe(100);
    expect(count(12345)).toBe('12,345');
    expect(bytes(2048)).toBe('2.0 KB');
    expect(bytes(5 * 1024 * 1024)).toBe('5.0 MB');
  });
});
