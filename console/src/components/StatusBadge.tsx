import type { ImportStatus, RowStatus } from '../api/types';
import { rowStatusLabel, statusLabel } from '../format';

/** RowBadge shows a preview row's status as a word and a colour. */
export function RowBadge({ status }: { status: RowStatus }) {
  return <span className={`badge badge-${status}`}>{rowStatusLabel[status]}</span>;
}

/** ImportBadge shows an import's status in the upload history's words. */
export function ImportBadge({ status }: { status: ImportStatus }) {
  return <span className={`badge badge-${status}`}>{statusLabel[status]}</span>;
}
