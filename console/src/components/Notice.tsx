import type { ReactNode } from 'react';

/** Notice is a message box; errors are announced to screen readers at once. */
export function Notice({ kind, title, children }: { kind: 'error' | 'info' | 'success'; title?: string; children: ReactNode }) {
  return (
    <div className={`notice notice-${kind}`} role={kind === 'error' ? 'alert' : 'status'}>
      {title && <h2 className="notice-title">{title}</h2>}
      <div>{children}</div>
    </div>
  );
}
