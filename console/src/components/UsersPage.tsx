import { useEffect, useId, useState } from 'react';
import type { Api } from '../api/client';
import type { Role, School, User, UserStatus } from '../api/types';
import { count, userStatusLabel, when } from '../format';
import { go, href, type UserFilters } from '../routes';
import { useDebounced, useLatest } from '../useLatest';
import { ExportUsers } from './ExportUsers';
import { InviteDialog } from './InviteDialog';
import { Notice } from './Notice';
import { errorText } from './errorText';

/** UsersPage is the school's users: search, the group sidebar with counts, the status filter, pages. */
export function UsersPage({ api, schoolId, filters, callerRole }: { api: Api; schoolId: string; filters: UserFilters; callerRole: Role }) {
  const school = useLatest<School>(`school/${schoolId}`, () => api.school(schoolId));
  const listKey = JSON.stringify([schoolId, filters]);
  const list = useLatest(listKey, () => api.listUsers(schoolId, filters));
  const set = (change: Partial<UserFilters>) => go({ page: 'users', schoolId, ...filters, cursor: '', ...change });
  const filtered = Boolean(filters.q || filters.group || filters.status);

  return (
    <div className="users-layout">
      <GroupSidebar school={school.value} schoolId={schoolId} filters={filters} />
      {/* data-current says whether the list shows the answer to these filters (tests and timings read it). */}
      <section aria-labelledby="users-title" className="users-main" data-current={list.valueKey === listKey && !list.loading ? 'yes' : 'no'}>
        <h1 id="users-title">Users</h1>
        <InviteDialog api={api} schoolId={schoolId} groups={school.value?.groups ?? []} callerRole={callerRole} onInvited={(u) => go({ page: 'user', schoolId, email: u.email })} />
        <ExportUsers api={api} schoolId={schoolId} />
        <div className="filters">
          <SearchBox value={filters.q} onSearch={(q) => set({ q })} />
          <StatusFilter value={filters.status} onChange={(status) => set({ status })} />
        </div>
        {list.error !== null && <Notice kind="error">{errorText(list.error)}</Notice>}
        <p role="status" className="help" aria-live="polite">
          {list.loading ? 'Loading…' : list.value ? `${list.value.users.length === 0 ? 'No' : count(list.value.users.length)} ${list.value.users.length === 1 ? 'user' : 'users'} on this page` : ''}
        </p>
        {list.value && list.value.users.length === 0 && !filters.cursor && (
          <p>
            {filtered ? (
              <>
                No users match these filters. <a href={href({ page: 'users', schoolId, q: '', group: '', status: '', cursor: '' })}>Show all users</a>
              </>
            ) : (
              <>
                No users yet: <a href={href({ page: 'import', schoolId, kind: 'users' })}>import a CSV</a> or invite someone.
              </>
            )}
          </p>
        )}
        {list.value && list.value.users.length > 0 && <UsersTable schoolId={schoolId} users={list.value.users} />}
        <nav aria-label="Pages" className="pager">
          {filters.cursor && (
            <button type="button" className="secondary" onClick={() => window.history.back()}>
              Previous page
            </button>
          )}
          {list.value?.nextCursor && (
            <a className="button secondary" href={href({ page: 'users', schoolId, ...filters, cursor: list.value.nextCursor })}>
              Next page
            </a>
          )}
        </nav>
      </section>
    </div>
  );
}

/** SearchBox searches as you type, a quarter of a second after the last key. */
function SearchBox({ value, onSearch }: { value: string; onSearch: (q: string) => void }) {
  const id = useId();
  const [text, setText] = useState(value);
  const settled = useDebounced(text, 250);
  useEffect(() => {
    if (settled !== value) onSearch(settled.trim());
    // onSearch changes with every render; the settled text is what matters.
  }, [settled]);
  return (
    <div className="search">
      <label htmlFor={id}>Search by name, email or id</label>
      <input id={id} type="search" value={text} onChange={(e) => setText(e.target.value)} autoComplete="off" />
    </div>
  );
}

function StatusFilter({ value, onChange }: { value: UserStatus | ''; onChange: (s: UserStatus | '') => void }) {
  const id = useId();
  return (
    <div>
      <label htmlFor={id}>Status</label>
      <select id={id} value={value} onChange={(e) => onChange(e.target.value as UserStatus | '')}>
        <option value="">All</option>
        <option value="active">Active</option>
        <option value="invited">Invited</option>
        <option value="removed">Removed</option>
      </select>
    </div>
  );
}

/** GroupSidebar lists the school's groups with their member counts, as filters. */
function GroupSidebar({ school, schoolId, filters }: { school: School | null; schoolId: string; filters: UserFilters }) {
  const link = (group: string) => href({ page: 'users', schoolId, ...filters, group, cursor: '' });
  return (
    <nav aria-label="Groups" className="sidebar">
      <h2>Groups</h2>
      <ul>
        <li>
          <a href={link('')} aria-current={filters.group === '' ? 'true' : undefined}>
            All users
          </a>
        </li>
        {school?.groups.map((g) => (
          <li key={g.id}>
            <a href={link(g.id)} aria-current={filters.group === g.id ? 'true' : undefined}>
              {g.name} <span className="help">({count(g.memberCount)})</span>
            </a>
          </li>
        ))}
      </ul>
    </nav>
  );
}

function UsersTable({ schoolId, users }: { schoolId: string; users: User[] }) {
  return (
    <div className="table-wrap">
      <table>
        <caption className="visually-hidden">Users, by name</caption>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Email</th>
            <th scope="col">Status</th>
            <th scope="col">Joined</th>
            <th scope="col">Groups</th>
          </tr>
        </thead>
        <tbody>
          {users.map((u) => (
            <tr key={u.email}>
              <td>
                <a href={href({ page: 'user', schoolId, email: u.email })}>{[u.firstName, u.lastName].filter(Boolean).join(' ') || u.email}</a>
              </td>
              <td>{u.email}</td>
              <td>
                <span className={`badge badge-user-${u.status}`}>{userStatusLabel[u.status]}</span>
              </td>
              <td>{u.joinedAt ? when(u.joinedAt) : ''}</td>
              <td>{u.groups.map((g) => g.name).join(', ')}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
