/** SignInPage asks an administrator to sign in. */
export function SignInPage({ onSignIn }: { onSignIn: () => void }) {
  return (
    <main className="narrow">
      <h1>School roster</h1>
      <p>Sign in to import your school's users and manage invitations.</p>
      <button type="button" className="primary" onClick={onSignIn}>
        Sign in
      </button>
    </main>
  );
}
