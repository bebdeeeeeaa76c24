import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Api } from '../api/client';
import { TemplateDownload } from './TemplateDownload';

afterEach(() => {
  cleanup();
  vi.restoreAllMocks();
});

describe('TemplateDownload', () => {
  it.each([
    ['Download template', 'users', 'csv', 'users-template.csv'],
    ['Excel template (.xlsx)', 'users', 'xlsx', 'users-template.xlsx'],
    ['Excel template (.xlsx)', 'relationships', 'xlsx', 'relationships-template.xlsx'],
  ] as const)('%s saves the %s template as %s', async (button, kind, format, fileName) => {
    const template = vi.fn(async () => new Blob(['x']));
    const saved: string[] = [];
    URL.createObjectURL = vi.fn(() => 'blob:template');
    URL.revokeObjectURL = vi.fn();
    vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) {
      saved.push(this.download);
    });
    render(<TemplateDownload api={{ template } as unknown as Api} schoolId="hill" kind={kind} />);
    fireEvent.click(screen.getByRole('button', { name: button }));
    await waitFor(() => expect(saved).toEqual([fileName]));
    expect(template).toHaveBeenCalledWith('hill', kind, format);
  });
});
