/** InlineError shows a failure next to the control that caused it, announced at once. */
export function InlineError({ message }: { message: string | null }) {
  if (!message) return null;
  return (
    <span role="alert" className="inline-error">
      {' '}
      {message}
    </span>
  );
}
