import type { Import } from '../api/types';
import { count } from '../format';

/** PreviewSummary shows the preview's counts. */
export function PreviewSummary({ imp }: { imp: Import }) {
  const c = imp.counts;
  const items: [string, number][] = [
    ['Total', c.total],
    ['Valid', c.valid],
    ['Invalid', c.invalid],
    ['Will be skipped', c.skipped],
  ];
  if (imp.kind === 'relationships') items.push(['Will be updated', c.updated], ['Unchanged', c.unchanged]);
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
