import type { Import } from '../api/types';
import { count } from '../format';

/** PreviewWarnings lists what the preview noticed about the file, and the errors by kind. */
export function PreviewWarnings({ imp }: { imp: Import }) {
  const warnings = imp.warnings ?? [];
  const errors = Object.entries(imp.errorCounts ?? {}).sort((a, b) => b[1] - a[1]);
  const skips = Object.entries(imp.skipReasons ?? {});
  return (
    <>
      {warnings.length > 0 && (
        <section aria-labelledby="warnings-title" className="warnings">
          <h2 id="warnings-title">About your file</h2>
          <ul>
            {warnings.map((w) => (
              <li key={w}>{w}</li>
            ))}
          </ul>
        </section>
      )}
      {errors.length > 0 && (
        <section aria-labelledby="errors-title">
          <h2 id="errors-title">Errors</h2>
          <ul>
            {errors.map(([msg, n]) => (
              <li key={msg}>
                {msg}: {count(n)} {n === 1 ? 'row' : 'rows'}
              </li>
            ))}
          </ul>
        </section>
      )}
      {skips.length > 0 && (
        <section aria-labelledby="skips-title">
          <h2 id="skips-title">Will be skipped</h2>
          <ul>
            {skips.map(([why, n]) => (
              <li key={why}>
                {why}: {count(n)} {n === 1 ? 'row' : 'rows'}
              </li>
            ))}
          </ul>
        </section>
      )}
    </>
  );
}
