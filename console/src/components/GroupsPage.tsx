import { useId, useState } from 'react';
import type { Api } from '../api/client';
import type { Group } from '../api/types';
import { count } from '../format';
import { href } from '../routes';
import { useLatest } from '../useLatest';
import { InlineError } from './InlineError';
import { Notice } from './Notice';
import { errorText } from './errorText';
import { useAction } from '../useAction';

/** GroupsPage lists the school's groups: create, rename, and delete an empty one. */
export function GroupsPage({ api, schoolId }: { api: Api; schoolId: string }) {
  const list = useLatest(`groups/${schoolId}`, () => api.groups(schoolId));
  const id = useId();
  const [name, setName] = useState('');
  const [run, error] = useAction();
  const create = () =>
    run(async () => {
      await api.createGroup(schoolId, name);
      setName('');
      list.reload();
    });
  return (
    <section aria-labelledby="groups-title">
      <h1 id="groups-title">Groups</h1>
      {list.error !== null && <Notice kind="error">{errorText(list.error)}</Notice>}
      <form className="inline-form" onSubmit={(e) => (e.preventDefault(), create())}>
        <label htmlFor={id}>New group</label>
        <input id={id} value={name} onChange={(e) => setName(e.target.value)} required />
        <button type="submit" className="primary" disabled={!name.trim()}>
          Create group
        </button>
        <InlineError message={error} />
      </form>
      <ul className="group-list">
        {list.value?.groups.map((g) => <GroupItem key={g.id} api={api} schoolId={schoolId} group={g} onChange={list.reload} />)}
      </ul>
    </section>
  );
}

function GroupItem({ api, schoolId, group, onChange }: { api: Api; schoolId: string; group: Group; onChange: () => void }) {
  const id = useId();
  const [editing, setEditing] = useState(false);
  const [name, setName] = useState(group.name);
  const [act, error] = useAction();
  const run = (f: () => Promise<unknown>) =>
    act(async () => {
      await f();
      setEditing(false);
      onChange();
    });
  return (
    <li>
      {editing ? (
        <form className="inline-form" onSubmit={(e) => (e.preventDefault(), run(() => api.renameGroup(schoolId, group.id, name)))}>
          <label htmlFor={id}>Name of {group.name}</label>
          <input id={id} value={name} onChange={(e) => setName(e.target.value)} autoFocus />
          <button type="submit" className="primary">
            Save
          </button>
          <button type="button" className="secondary" onClick={() => setEditing(false)}>
            Cancel
          </button>
        </form>
      ) : (
        <>
          <a href={href({ page: 'users', schoolId, q: '', group: group.id, status: '', cursor: '' })}>{group.name}</a>{' '}
          <span className="help">
            {count(group.memberCount)} {group.memberCount === 1 ? 'member' : 'members'}
          </span>{' '}
          <button type="button" className="link" onClick={() => setEditing(true)}>
            Rename {group.name}
          </button>{' '}
          <button type="button" className="link" onClick={() => run(() => api.deleteGroup(schoolId, group.id))}>
            Delete {group.name}
          </button>
        </>
      )}
      <InlineError message={error} />
    </li>
  );
}
