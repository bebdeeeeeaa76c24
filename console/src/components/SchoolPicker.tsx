import type { Me } from '../api/types';
import { href } from '../routes';

/** SchoolPicker lists the schools the person administers. */
export function SchoolPicker({ me }: { me: Me }) {
  const admin = me.schools.filter((s) => s.status === 'active' && (s.role === 'owner' || s.role === 'manager'));
  return (
    <section aria-labelledby="schools-title">
      <h1 id="schools-title">Your schools</h1>
      {admin.length === 0 ? (
        <p>
          You are signed in as {me.email}, which administers no school. Ask a school's owner to invite you as a manager, then open the link in
          the invitation.
        </p>
      ) : (
        <ul className="cards">
          {admin.map((s) => (
            <li key={s.schoolId}>
              <a href={href({ page: 'import', schoolId: s.schoolId, kind: 'users' })}>
                <span className="card-title">{s.schoolName}</span>
                <span className="card-detail">{s.role === 'owner' ? 'Owner' : 'Manager'}</span>
              </a>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
