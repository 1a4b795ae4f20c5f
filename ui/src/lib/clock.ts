import { useSyncExternalStore } from 'react';

// One shared 1-second ticker for every "time on call" cell and the stale counter: a cell re-renders each
// second without its row re-rendering, and the timer only runs while something shows a time.
const listeners = new Set<() => void>();
let now = Date.now();
let timer: ReturnType<typeof setInterval> | undefined;

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  if (timer === undefined) {
    now = Date.now();
    timer = setInterval(() => {
      now = Date.now();
      for (const l of listeners) l();
    }, 1000);
  }
  return () => {
    listeners.delete(listener);
    if (listeners.size === 0 && timer !== undefined) {
      clearInterval(timer);
      timer = undefined;
    }
  };
}

function getNow(): number {
  return now;
}

/** The current time in ms, updated once a second while mounted. */
export function useNow(): number {
  return useSyncExternalStore(subscribe, getNow, getNow);
}
