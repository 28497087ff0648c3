// Data loading for pages: load once, or poll while the page is open (the API has no push for
// lists; the run page also follows the log's SSE stream).
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ProblemError } from './api';

export interface Loaded<T> {
  data: T | undefined;
  error: string | null;
  reload: () => void;
}

/**
 * Calls `load` now, when `deps` change, and every `pollMs` when given (the next poll waits for
 * the previous answer, so a slow API is never asked twice at once).
 */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[], pollMs?: number): Loaded<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<string | null>(null);
  const [tick, setTick] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;
  useEffect(() => {
    let live = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const once = async () => {
      try {
        const d = await loadRef.current();
        if (!live) return;
        setData(d);
        setError(null);
      } catch (e) {
        if (live) setError(e instanceof ProblemError ? e.message : String(e));
      }
      if (live && pollMs) timer = setTimeout(() => void once(), pollMs);
    };
    void once();
    return () => {
      live = false;
      if (timer) clearTimeout(timer);
    };
  }, [...deps, tick, pollMs]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data, error, reload };
}

/**
 * What a list page does after the operator confirmed it (delete, revoke): the API call, then a
 * reload; a refusal is kept in the API's words for the page to show. A declined confirm sends
 * nothing.
 */
export function useConfirmedAction(reload: () => void): { error: string | null; act(question: string, call: () => Promise<unknown>): Promise<void> } {
  const [error, setError] = useState<string | null>(null);
  const act = async (question: string, call: () => Promise<unknown>) => {
    if (!window.confirm(question)) return;
    setError(null);
    try {
      await call();
      reload();
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  };
  return { error, act };
}
