import { ApiError } from '../api/client';

/** errorText is what to show for a failure: the API's own message, or ours. */
export function errorText(e: unknown): string {
  if (e instanceof ApiError) return e.message;
  if (e instanceof Error && e.message) return e.message;
  return 'Something went wrong. Try again.';
}
