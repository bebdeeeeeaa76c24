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
  counts: { total: 4, valid: 3, invalid: 1, skipped: 0, updated: 0, unchanged: 0, updateChanges: 0, updateUnchanged: 0, updateRemoved: 0, links: 0, linkErrors: 0 },
  sendInvitations: true, progress: { done: 0, total: 3 },
  results: { created: 0, updated: 0, unchanged: 0, skippedMember: 0, skippedInvited: 0, failed: 0, skippedRemoved: 0, links: { created: 0, updated: 0, unchanged: 0, failed: 0 } },
};

// A users file of one new person, two already in the school (one with a new
// first name), one removed person, and a student with two parents.
const existing: Import = {
  ...base,
  counts: { ...base.counts, total: 5, valid: 2, invalid: 0, skipped: 2, updateChanges: 1, updateUnchanged: 1, updateRemoved: 1, links: 1, linkErrors: 1 },
  preview: [
    { row: 2, status: 'skipped', reason: 'Already a member', email: 'bo@hill.school', firstName: 'Bob', existing: 'active', updateOutcome: 'update',
      changes: [{ field: 'first_name', before: 'Bo', after: 'Bob' }] },
    { row: 3, status: 'skipped', reason: 'Already invited', email: 'cy@hill.school', existing: 'invited', updateOutcome: 'unchanged' },
    { row: 4, status: 'valid', reason: 'Was removed; will be invited again', email: 'dee@hill.school', existing: 'removed', updateOutcome: 'removed' },
    { row: 5, status: 'valid', email: 'kid@hill.school', parents: [{ email: 'dad@hill.school', type: 'father' }, { email: 'x@hill.school', type: 'guardian', error: 'Parent not found in organisation' }] },
  ],
};

describe('updating existing users', () => {
  it('shows skipped rows as they will be updated, with before and after, only when asked', () => {
    const { rerender } = render(<PreviewTable imp={existing} />);
    expect(screen.getAllByText('Will be skipped')).toHaveLength(2);
    expect(screen.queryByText('First name: Bo → Bob')).toBeNull();
    rerender(<PreviewTable imp={existing} update />);
    expect(screen.getByText('Will be updated')).toBeTruthy();
    expect(screen.getByText('First name: Bo → Bob')).toBeTruthy();
    expect(screen.getByText('Unchanged')).toBeTruthy();
    expect(screen.getByText('Removed from the school; not brought back')).toBeTruthy();
  });
  it('shows the parent links of a row and those that cannot be made', () => {
    render(<PreviewTable imp={existing} />);
    expect(screen.getByText('Parent dad@hill.school (father): will be linked')).toBeTruthy();
    expect(screen.getByText('Parent x@hill.school (guardian): Parent not found in organisation')).toBeTruthy();
  });
  it('is off by default and counts the people it would update', () => {
    const onUpdate = vi.fn();
    const onConfirm = vi.fn();
    const { rerender } = render(<ConfirmPanel imp={existing} onConfirm={onConfirm} busy={false} update={false} onUpdateChange={onUpdate} />);
    const toggle = screen.getByRole('switch', { name: 'Update people already in the school' }) as HTMLInputElement;
    expect(toggle.checked).toBe(false);
    expect(screen.getByRole('button', { name: 'Import 2 users and 1 parent link' })).toBeTruthy();
    fireEvent.click(toggle);
    expect(onUpdate).toHaveBeenCalledWith(true);
    rerender(<ConfirmPanel imp={existing} onConfirm={onConfirm} busy={false} update onUpdateChange={onUpdate} />);
    expect(screen.getByRole('button', { name: 'Import 2 users and 1 parent link' })).toBeTruthy(); // one new, one updated
    expect(screen.getByText(/1 removed person stays removed/)).toBeTruthy();
  });
});

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
