import { useState } from 'react';
import { errorText } from './components/errorText';

/**
 * useAction runs what a button does and says how it went: busy while it
 * runs, and the error to show (the API's message, or ours) when it fails.
 */
export function useAction(): [(f: () => Promise<unknown>) => Promise<void>, string | null, boolean] {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const run = async (f: () => Promise<unknown>) => {
    setBusy(true);
    setError(null);
    try {
      await f();
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };
  return [run, error, busy];
}
