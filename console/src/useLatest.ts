import { useEffect, useRef, useState } from 'react';

/**
 * useLatest loads what load(key) gives for the current key, and keeps only
 * the answer to the newest key: an answer to an older search that arrives
 * late never overwrites a newer one.
 */
export function useLatest<T>(key: string, load: () => Promise<T>): { value: T | null; valueKey: string | null; error: unknown; loading: boolean; reload: () => void } {
  const seq = useRef(0);
  const [state, setState] = useState<{ value: T | null; valueKey: string | null; error: unknown; loading: boolean }>({ value: null, valueKey: null, error: null, loading: true });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    const mine = ++seq.current;
    setState((s) => ({ ...s, loading: true }));
    load().then(
      (value) => mine === seq.current && setState({ value, valueKey: key, error: null, loading: false }),
      (error) => mine === seq.current && setState((s) => ({ ...s, error, loading: false })),
    );
    // load is a fresh closure each render; key says when it asks for something new.
  }, [key, tick]);
  return { ...state, reload: () => setTick((t) => t + 1) };
}

/** useDebounced follows value after it has stayed the same for ms. */
export function useDebounced<T>(value: T, ms: number): T {
  const [v, setV] = useState(value);
  useEffect(() => {
    const t = window.setTimeout(() => setV(value), ms);
    return () => window.clearTimeout(t);
  }, [value, ms]);
  return v;
}
