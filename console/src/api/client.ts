import type { Accepted, FileLink, Import, ImportCreated, ImportList, Me, School, StartImportRequest, UpdateRequest, User, UserList, InviteRequest, SendResult, Group, GroupList } from './types';
import type { UsersExport } from './types';
import type { UserFilters } from '../routes';

/** An answer of the API that is not a success: its code and safe message. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

type Token = () => Promise<string | null>;

/** A typed client of the HTTP API on the console's own origin. */
export class Api {
  constructor(private readonly token: Token) {}

  private async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = {};
    const token = await this.token();
    if (token) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    return (await read(res)) as T;
  }

  me(): Promise<Me> {
    return this.request('GET', '/me');
  }
  school(id: string): Promise<School> {
    return this.request('GET', `/schools/${enc(id)}`);
  }
  startImport(schoolId: string, req: StartImportRequest): Promise<ImportCreated> {
    return this.request('POST', `/schools/${enc(schoolId)}/imports`, req);
  }
  getImport(schoolId: string, id: string): Promise<Import> {
    return this.request('GET', `/schools/${enc(schoolId)}/imports/${enc(id)}`);
  }
  listImports(schoolId: string, cursor?: string): Promise<ImportList> {
    const q = cursor ? `?cursor=${encodeURIComponent(cursor)}` : '';
    return this.request('GET', `/schools/${enc(schoolId)}/imports${q}`);
  }
  confirmImport(schoolId: string, id: string, sendInvitations: boolean, updateExisting = false): Promise<Import> {
    return this.request('POST', `/schools/${enc(schoolId)}/imports/${enc(id)}/confirm`, { sendInvitations, updateExisting });
  }
  fileLink(schoolId: string, id: string, file: 'uploaded' | 'errors' | 'results'): Promise<FileLink> {
    return this.request('GET', `/schools/${enc(schoolId)}/imports/${enc(id)}/files/${file}`);
  }
  listUsers(schoolId: string, f: UserFilters): Promise<UserList> {
    const q = new URLSearchParams();
    for (const k of ['q', 'group', 'status', 'cursor'] as const) if (f[k]) q.set(k, f[k]);
    q.set('limit', '25');
    return this.request('GET', `/schools/${enc(schoolId)}/users?${q}`);
  }
  getUser(schoolId: string, email: string): Promise<User> {
    return this.request('GET', `/schools/${enc(schoolId)}/users/${enc(email)}`);
  }
  updateUser(schoolId: string, email: string, change: UpdateRequest): Promise<User> {
    return this.request('PATCH', `/schools/${enc(schoolId)}/users/${enc(email)}`, change);
  }
  removeUser(schoolId: string, email: string): Promise<User> {
    return this.request('DELETE', `/schools/${enc(schoolId)}/users/${enc(email)}`);
  }
  /** Starts an export of every user (or answers the one under way); follow it with usersExport. */
  exportUsers(schoolId: string): Promise<UsersExport> {
    return this.request('GET', `/schools/${enc(schoolId)}/users/export.csv`);
  }
  usersExport(schoolId: string, id: string): Promise<UsersExport> {
    return this.request('GET', `/schools/${enc(schoolId)}/users/exports/${enc(id)}`);
  }
  resendInvitation(schoolId: string, email: string): Promise<User> {
    return this.request('POST', `/schools/${enc(schoolId)}/invitations/${enc(email)}/resend`);
  }
  invite(schoolId: string, req: InviteRequest): Promise<User> {
    return this.request('POST', `/schools/${enc(schoolId)}/users`, req);
  }
  invitations(schoolId: string, cursor?: string): Promise<UserList> {
    const q = cursor ? `?cursor=${encodeURIComponent(cursor)}` : '';
    return this.request('GET', `/schools/${enc(schoolId)}/invitations${q}`);
  }
  sendHeld(schoolId: string, emails: string[] | 'all'): Promise<SendResult> {
    return this.request('POST', `/schools/${enc(schoolId)}/invitations/send`, emails === 'all' ? { all: true } : { emails });
  }
  cancelInvitation(schoolId: string, email: string): Promise<User> {
    return this.request('DELETE', `/schools/${enc(schoolId)}/invitations/${enc(email)}`);
  }
  groups(schoolId: string): Promise<GroupList> {
    return this.request('GET', `/schools/${enc(schoolId)}/groups`);
  }
  createGroup(schoolId: string, name: string): Promise<Group> {
    return this.request('POST', `/schools/${enc(schoolId)}/groups`, { name });
  }
  renameGroup(schoolId: string, id: string, name: string): Promise<Group> {
    return this.request('PATCH', `/schools/${enc(schoolId)}/groups/${enc(id)}`, { name });
  }
  deleteGroup(schoolId: string, id: string): Promise<void> {
    return this.request('DELETE', `/schools/${enc(schoolId)}/groups/${enc(id)}`);
  }
  unlink(schoolId: string, student: string, parent: string): Promise<void> {
    return this.request('DELETE', `/schools/${enc(schoolId)}/relationships/${enc(student)}/${enc(parent)}`);
  }
  accept(token: string): Promise<Accepted> {
    return this.request('POST', '/invitations/accept', { token });
  }

  /** The template of a kind, as a CSV or an Excel workbook, as a file to save. */
  async template(schoolId: string, kind: 'users' | 'relationships', format: 'csv' | 'xlsx' = 'csv'): Promise<Blob> {
    const token = await this.token();
    const res = await fetch(`/schools/${enc(schoolId)}/templates/${kind}.${format}`, {
      headers: token ? { authorization: `Bearer ${token}` } : {},
    });
    if (!res.ok) await read(res);
    return res.blob();
  }
}

function enc(s: string): string {
  return encodeURIComponent(s);
}

async function read(res: Response): Promise<unknown> {
  const text = await res.text();
  let body: unknown = undefined;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  if (res.ok) return body;
  const err = (body as { error?: { code?: string; message?: string } } | undefined)?.error;
  throw new ApiError(res.status, err?.code ?? 'unknown', err?.message ?? messageFor(res.status));
}

/** What to say when the API (or something before it) gave no message. */
export function messageFor(status: number): string {
  switch (status) {
    case 401:
      return 'Your sign-in has expired. Sign in again.';
    case 403:
      return 'You do not have access to this school.';
    case 429:
      return 'Too many requests just now. Wait a moment and try again.';
    default:
      return status >= 500 ? 'Something went wrong on our side. Try again in a moment.' : `The request failed (${status}).`;
  }
}
