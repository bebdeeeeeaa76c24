import { useEffect, useRef } from 'react';
import type { Import } from '../api/types';
import { count, duration, percent, secondsLeft, type Sample } from '../format';

/** ImportProgress shows a running import: a bar with the percentage and the time left. */
export function ImportProgress({ imp }: { imp: Import }) {
  const samples = useRef<Sample[]>([]);
  const { done, total } = imp.progress;
  useEffect(() => {
    const s = samples.current;
    if (s.length === 0 || s[s.length - 1].done !== done) s.push({ at: Date.now(), done });
  }, [done]);
  const pct = percent(done, total);
  const left = secondsLeft(samples.current, total);
  return (
    <div className="progress" aria-live="polite">
      <label htmlFor="import-bar">
        {imp.status === 'queued' ? 'Queued: the import starts in a moment.' : `Importing: ${count(Math.min(done, total))} of ${count(total)} rows (${pct}%)`}
      </label>
      <progress id="import-bar" max={100} value={pct} />
      {left !== null && <p className="help">Time left: {duration(left)}.</p>}
    </div>
  );
}
