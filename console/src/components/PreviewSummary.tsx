import type { Import } from '../api/types';
import { count } from '../format';

/** PreviewSummary shows the preview's counts, as they will be with or without updating existing users. */
export function PreviewSummary({ imp, update = false }: { imp: Import; update?: boolean }) {
  const c = imp.counts;
  const items: [string, number][] = [['Total', c.total]];
  if (imp.kind === 'relationships') {
    items.push(['Valid', c.valid], ['Invalid', c.invalid], ['Will be skipped', c.skipped], ['Will be updated', c.updated], ['Unchanged', c.unchanged]);
  } else if (update) {
    // Removed people are left removed, not invited again; the others already there are updated or unchanged.
    items.push(
      ['New', c.valid - c.updateRemoved],
      ['Invalid', c.invalid],
      ['Will be updated', c.updateChanges],
      ['Unchanged', c.updateUnchanged],
      ['Will be skipped', c.skipped - c.updateChanges - c.updateUnchanged + c.updateRemoved],
    );
  } else {
    items.push(['Valid', c.valid], ['Invalid', c.invalid], ['Will be skipped', c.skipped]);
  }
  if (c.links + c.linkErrors > 0) items.push(['Parent links', c.links], ['Links that cannot be made', c.linkErrors]);
  return (
    <dl className="counts" aria-label="Preview counts">
      {items.map(([label, n]) => (
        <div key={label} className="count">
          <dt>{label}</dt>
          <dd>{count(n)}</dd>
        </div>
      ))}
    </dl>
  );
}
