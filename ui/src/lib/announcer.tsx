import { createContext, useCallback, useContext, useMemo, useRef, useState, type ReactNode } from 'react';

type Announce = (message: string) => void;

const AnnouncerContext = createContext<Announce>(() => undefined);

/**
 * One polite live region for the whole app: action outcomes and connection changes are read out by screen
 * readers without moving focus. Repeating the same message still announces it (the text is cleared first).
 */
export function AnnouncerProvider({ children }: { children: ReactNode }) {
  const [message, setMessage] = useState('');
  const frame = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);

  const announce = useCallback<Announce>((text) => {
    setMessage('');
    if (frame.current !== undefined) clearTimeout(frame.current);
    frame.current = setTimeout(() => {
      setMessage(text);
    }, 30);
  }, []);

  const value = useMemo(() => announce, [announce]);
  return (
    <AnnouncerContext.Provider value={value}>
      {children}
      <div className="visually-hidden" role="status" aria-live="polite" aria-atomic="true" data-testid="announcer">
        {message}
      </div>
    </AnnouncerContext.Provider>
  );
}

/** `announce(text)` reads `text` out in the app's live region. */
export function useAnnounce(): Announce {
  return useContext(AnnouncerContext);
}
