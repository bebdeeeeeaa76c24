import type { Import } from '../api/types';
import { count } from '../format';

/** PreviewWarnings lists what the preview noticed about the file, and the errors by kind. */
export function PreviewWarnings({ imp, update = false }: { imp: Import; update?: boolean }) {
  const warnings = imp.warnings ?? [];
  const errors = Object.entries(imp.errorCounts ?? {}).sort((a, b) => b[1] - a[1]);
  // With updates, people already in the school are updated or unchanged, not skipped.
  const skips = Object.entries(imp.skipReasons ?? {}).filter(([reason]) => !update || !alreadyThere.has(reason));
  if (update && imp.counts.updateRemoved > 0) skips.push(['Removed from the school; not brought back', imp.counts.updateRemoved]);
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
      <RowCounts id="errors-title" title="Errors" counts={errors} />
      <RowCounts id="skips-title" title="Will be skipped" counts={skips} />
    </>
  );
}

const alreadyThere = new Set(['Already a member', 'Already invited']);

/** RowCounts lists messages with how many rows each concerns. */
function RowCounts({ id, title, counts }: { id: string; title: string; counts: [string, number][] }) {
  if (counts.length === 0) return null;
  return (
    <section aria-labelledby={id}>
      <h2 id={id}>{title}</h2>
      <ul>
        {counts.map(([msg, n]) => (
          <li key={msg}>
            {msg}: {count(n)} {n === 1 ? 'row' : 'rows'}
          </li>
        ))}
      </ul>
    </section>
  );
}
