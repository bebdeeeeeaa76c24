import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiError, type Api } from '../api/client';
import type { UsersExport } from '../api/types';
import { ExportUsers, exportProgress } from './ExportUsers';

afterEach(cleanup);

const queued: UsersExport = {
  schoolId: 'hill', id: 'EXP1', status: 'queued', requestedBy: 'head@hill.school', createdAt: '2026-09-01T08:00:00Z', updatedAt: '2026-09-01T08:00:00Z', rows: 0,
};
const running: UsersExport = { ...queued, status: 'running', rows: 12000 };
const done: UsersExport = { ...queued, status: 'done', rows: 50001, downloadUrl: 'https://bucket.example/exports/hill/EXP1/users.csv?sig', expiresAt: '2026-09-02T08:01:00Z' };

function fakeApi(start: () => Promise<UsersExport>, follow: UsersExport[]) {
  const usersExport = vi.fn(async () => follow.shift() ?? done);
  const exportUsers = vi.fn(start);
  return { api: { exportUsers, usersExport } as unknown as Api, exportUsers, usersExport };
}

describe('exportProgress', () => {
  it.each([
    [null, ''],
    [queued, 'Preparing export…'],
    [running, 'Preparing export… 12,000 users so far'],
    [done, 'Your export of 50,001 users is ready.'],
    [{ ...done, downloadUrl: undefined }, 'This export has expired. Export the users again.'],
    [{ ...queued, status: 'failed', failureReason: 'The export took too long to finish. Export the users again.' }, 'The export took too long to finish. Export the users again.'],
  ] as [UsersExport | null, string][])('%#', (e, text) => {
    expect(exportProgress(e)).toBe(text);
  });
});

describe('ExportUsers', () => {
  it('follows the export, announcing its progress, then offers the file', async () => {
    const { api, exportUsers, usersExport } = fakeApi(async () => queued, [running, done]);
    render(<ExportUsers api={api} schoolId="hill" pollMs={5} />);
    const button = screen.getByRole('button', { name: 'Export users' });
    const status = screen.getByRole('status');
    expect(status.getAttribute('aria-live')).toBe('polite');
    expect(button.getAttribute('aria-describedby')).toBe(status.id);
    fireEvent.click(button);
    await waitFor(() => expect(status.textContent).toBe('Preparing export…'));
    expect((button as HTMLButtonElement).disabled).toBe(true);
    await waitFor(() => expect(status.textContent).toBe('Your export of 50,001 users is ready.'));
    const link = screen.getByRole('link', { name: 'Download the users file (CSV)' });
    expect(link.getAttribute('href')).toBe(done.downloadUrl);
    expect(link.hasAttribute('download')).toBe(true);
    expect((button as HTMLButtonElement).disabled).toBe(false);
    expect(exportUsers).toHaveBeenCalledWith('hill');
    expect(usersExport).toHaveBeenCalledTimes(2);
    expect(usersExport).toHaveBeenCalledWith('hill', 'EXP1');
  });

  it('says why an export failed, and offers no file', async () => {
    const failed: UsersExport = { ...queued, status: 'failed', failureReason: 'The export could not be finished. Export the users again.' };
    const { api } = fakeApi(async () => queued, [failed]);
    render(<ExportUsers api={api} schoolId="hill" pollMs={5} />);
    fireEvent.click(screen.getByRole('button', { name: 'Export users' }));
    await waitFor(() => expect(screen.getByRole('status').textContent).toBe(failed.failureReason));
    expect(screen.queryByRole('link')).toBeNull();
  });

  it("shows the API's refusal at once", async () => {
    const { api } = fakeApi(async () => {
      throw new ApiError(403, 'forbidden', 'You must be an owner or manager of this school.');
    }, []);
    render(<ExportUsers api={api} schoolId="hill" pollMs={5} />);
    fireEvent.click(screen.getByRole('button', { name: 'Export users' }));
    expect((await screen.findByRole('alert')).textContent).toContain('You must be an owner or manager of this school.');
  });
});
