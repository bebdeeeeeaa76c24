import { cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiError } from '../api/client';
import type { Import } from '../api/types';
import { classify } from './AcceptPage';
import { ConfirmPanel } from './ConfirmPanel';
import { PreviewTable } from './PreviewTable';

afterEach(cleanup);

const base: Import = {
  schoolId: 'hill', id: 'IMP1', kind: 'users', status: 'ready', fileName: 'users.csv', declaredSize: 10, uploadedBy: 'head@hill.school',
  createdAt: '2026-11-22T09:00:00Z', updatedAt: '2026-11-22T09:00:00Z',
  counts: { total: 4, valid: 3, invalid: 1, skipped: 0, updated: 0, unchanged: 0 }, sendInvitations: true,
  progress: { done: 0, total: 3 }, results: { created: 0, updated: 0, unchanged: 0, skippedMember: 0, skippedInvited: 0, failed: 0 },
};

describe('PreviewTable', () => {
  it('shows a cell that looks like markup as text, never as markup', () => {
    const evil = '<img src=x onerror=alert(1)>';
    const { container } = render(<PreviewTable imp={{ ...base, preview: [{ row: 2, status: 'valid', email: 'a@hill.school', firstName: evil }] }} />);
    expect(screen.getByText(evil)).toBeTruthy();
    expect(container.querySelector('img')).toBeNull();
  });
  it('says how many rows it shows', () => {
    render(<PreviewTable imp={{ ...base, previewNote: 'Showing 50 of 120 rows, rows with errors first.', preview: [{ row: 2, status: 'invalid', error: 'Invalid email format' }] }} />);
    expect(screen.getByText('Showing 50 of 120 rows, rows with errors first.')).toBeTruthy();
    expect(screen.getByText('Invalid')).toBeTruthy();
  });
});

describe('ConfirmPanel', () => {
  it('imports the valid rows, with invitations on by default', () => {
    const onConfirm = vi.fn();
    render(<ConfirmPanel imp={base} onConfirm={onConfirm} busy={false} />);
    const toggle = screen.getByRole('switch', { name: 'Send invitation emails now' }) as HTMLInputElement;
    expect(toggle.checked).toBe(true);
    fireEvent.click(screen.getByRole('button', { name: 'Import 3 users' }));
    expect(onConfirm).toHaveBeenCalledWith(true);
    fireEvent.click(toggle);
    fireEvent.click(screen.getByRole('button', { name: 'Import 3 users' }));
    expect(onConfirm).toHaveBeenLastCalledWith(false);
  });
  it('offers nothing to import when no row is valid', () => {
    render(<ConfirmPanel imp={{ ...base, counts: { ...base.counts, valid: 0 } }} onConfirm={() => {}} busy={false} />);
    expect(screen.queryByRole('button')).toBeNull();
  });
});

describe('classify', () => {
  it.each([
    [new ApiError(404, 'not_found', 'This invitation is not valid any more: it may have been cancelled or sent again. Ask the school for a new one.'), 'dead'],
    [new ApiError(403, 'forbidden', 'This invitation was sent to another email address. Sign in with the address it was sent to.'), 'otherAddress'],
    [new ApiError(403, 'forbidden', 'This sign-in is not the account that joined this school.'), 'otherLogin'],
    [new ApiError(500, 'internal', 'Something went wrong.'), 'error'],
  ])('%s', (err, kind) => {
    expect(classify(err).kind).toBe(kind);
  });
});
