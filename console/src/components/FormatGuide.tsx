import type { ImportKind } from '../api/types';

/** FormatGuide says which columns a file of this kind needs. */
export function FormatGuide({ kind }: { kind: ImportKind }) {
  if (kind === 'relationships') {
    return (
      <section aria-labelledby="guide-title" className="guide">
        <h2 id="guide-title">Expected format</h2>
        <p>One row per link between a student and a parent or guardian. Both must already be users of the school.</p>
        <dl>
          <dt>student_email or student_id</dt>
          <dd>the student, by email or by the school's id (one is required)</dd>
          <dt>parent_email or parent_id</dt>
          <dd>the parent or guardian, by email or by id (one is required)</dd>
          <dt>relationship_type</dt>
          <dd>optional: parent, guardian, mother, father, grandparent, carer or other</dd>
        </dl>
      </section>
    );
  }
  return (
    <section aria-labelledby="guide-title" className="guide">
      <h2 id="guide-title">Expected format</h2>
      <p>A CSV file or Excel workbook (.xlsx) with a header row and one person per row. Common column names such as "Email Address" or "Surname" are recognised.</p>
      <dl>
        <dt>email</dt>
        <dd>required; each person once</dd>
        <dt>first_name, last_name</dt>
        <dd>optional</dd>
        <dt>group</dt>
        <dd>optional: one of the school's groups, such as Students, Staff or Parents, or several separated by ";"</dd>
        <dt>user_id</dt>
        <dd>optional: the school's own id for the person</dd>
        <dt>parent_email, Parent 1 Email, Parent 2 Email, Guardian Email</dt>
        <dd>optional, on student rows: the student is linked to each parent once both are users (a "Parent 1 Relationship" column gives the type)</dd>
        <dt>status</dt>
        <dd>optional, as an export has it: rows marked "removed" never invite anyone</dd>
      </dl>
    </section>
  );
}
