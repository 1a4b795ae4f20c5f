import { KeyboardHelp } from './components/KeyboardHelp';
import { useCallback, useEffect, useRef, useState, type ReactNode, type Ref } from 'react';
import { Board } from './board/Board';
import { PeopleSeen } from './board/boardIndex';
import type { RosterSource } from './board/rosterStore';
import { ConfigProblems } from './components/ConfigProblems';
import { ErrorNotice } from './components/ErrorNotice';
import { MissingPermissions } from './components/MissingPermissions';
import { UpdateNotice } from './components/UpdateNotice';
import { useStartup } from './components/useStartup';
import { AnnouncerProvider, useAnnounce } from './lib/announcer';
import { errorTitle } from './lib/outcome';
import {
  CommandError,
  checkPermissions,
  getRosterSnapshot,
  signOut,
  subscribeRoster,
  type AppConfigResponse,
  type AppInfo,
  type MissingPermission,
  type QueueInfo,
  type SessionInfo,
  type SessionInfoResponse,
} from './platform';
import { Audit } from './screens/Audit';
import { Policy } from './screens/Policy';
import { NOBODY, Queues, watchesAnyone, type WatchedPeople } from './screens/Queues';
import { SignIn } from './screens/SignIn';

const rosterSource: RosterSource = { subscribe: subscribeRoster, snapshot: getRosterSnapshot };

type Screen = 'board' | 'queues' | 'policy' | 'audit';

export function App() {
  return (
    <AnnouncerProvider>
      <Shell />
    </AnnouncerProvider>
  );
}

function Shell() {
  const { state, reload } = useStartup();

  if (state.status === 'loading') {
    return (
      <Frame app={undefined} session={undefined}>
        <p className="muted">Loading…</p>
      </Frame>
    );
  }
  if (state.status === 'failed') {
    return (
      <Frame app={undefined} session={undefined}>
        <ErrorNotice title="Bridgekeeper could not start properly" error={state.error} onRetry={reload} />
      </Frame>
    );
  }
  return <SignedInOrOut app={state.app} info={state.session} config={state.config} />;
}

function SignedInOrOut({ app, info, config }: { app: AppInfo; info: SessionInfoResponse; config: AppConfigResponse }) {
  const [session, setSession] = useState<SessionInfo | undefined>(info.session ?? undefined);
  const [queues, setQueues] = useState<QueueInfo[]>(info.selectedQueues);
  // The people chosen this session (the backend remembers them; it does not list them back yet).
  const [people, setPeople] = useState<WatchedPeople>(NOBODY);
  const [seen] = useState(() => new PeopleSeen());
  const watching = queues.length > 0 || watchesAnyone(people);
  const [screen, setScreen] = useState<Screen>(info.selectedQueues.length > 0 ? 'board' : 'queues');
  const [notice, setNotice] = useState<CommandError | undefined>(undefined);
  const [signOutError, setSignOutError] = useState<string | undefined>(undefined);
  const [missing, setMissing] = useState<MissingPermission[]>([]);
  const announce = useAnnounce();
  const mainRef = useRef<HTMLElement>(null);

  // After sign-in to a real org: which features the user's roles leave unavailable (never blocks the app).
  const checkedUser = session && !session.demo ? session.userId : undefined;
  useEffect(() => {
    if (!checkedUser) return;
    let current = true;
    checkPermissions().then(
      (report) => {
        if (current) setMissing(report.missing);
      },
      () => undefined,
    );
    return () => {
      current = false;
      setMissing([]);
    };
  }, [checkedUser]);

  const expiredAtStart = info.state === 'expired';
  const sessionLost = useCallback(
    (error: CommandError) => {
      setSession(undefined);
      setNotice(error);
      announce(`${errorTitle(error)}. Sign in again.`);
    },
    [announce],
  );

  // Move focus to the new screen's heading, so keyboard and screen-reader users land on it.
  useEffect(() => {
    mainRef.current?.querySelector<HTMLElement>('h2')?.focus();
  }, [screen, session]);

  const signedIn = (next: SessionInfo, remembered: QueueInfo[]) => {
    setSession(next);
    setNotice(undefined);
    setQueues(remembered);
    setScreen(remembered.length > 0 ? 'board' : 'queues');
    announce(`Signed in as ${next.userName}.`);
  };

  const doSignOut = () => {
    signOut().then(
      ({ warning }) => {
        setSession(undefined);
        setNotice(undefined);
        setSignOutError(warning ?? undefined);
        announce('Signed out.');
      },
      (raw: unknown) => {
        setSignOutError(raw instanceof Error ? raw.message : String(raw));
      },
    );
  };

  if (!session) {
    const expired: CommandError | undefined =
      notice ??
      (expiredAtStart && !signOutError
        ? new CommandError('session_info', 'SessionExpired', 'Your session has expired. Sign in again.')
        : undefined);
    return (
      <Frame app={app} session={undefined} mainRef={mainRef} config={config}>
        {signOutError && (
          <p className="notice notice-warning" role="status">
            {signOutError}
          </p>
        )}
        <SignIn
          info={info}
          config={config}
          notice={expired}
          onSignedIn={(s, remembered) => {
            signedIn(s, remembered);
          }}
        />
      </Frame>
    );
  }

  return (
    <Frame
      app={app}
      session={session}
      mainRef={mainRef}
      config={config}
      notices={
        <MissingPermissions
          missing={missing}
          onDismiss={() => {
            setMissing([]);
          }}
        />
      }
      nav={
        <nav aria-label="Screens" className="nav">
          {(
            [
              ['board', 'Live calls'],
              ['queues', 'Queues'],
              ['policy', 'Policy'],
              ['audit', 'Audit log'],
            ] as const
          ).map(([key, label]) => (
            <button
              key={key}
              type="button"
              className="nav-item"
              aria-current={screen === key ? 'page' : undefined}
              disabled={key === 'board' && !watching}
              onClick={() => {
                setScreen(key);
              }}
            >
              {label}
            </button>
          ))}
          <button type="button" className="secondary small" onClick={doSignOut}>
            Sign out
          </button>
        </nav>
      }
    >
      {screen === 'queues' && (
        <Queues
          onSessionLost={sessionLost}
          knownPeople={seen.list()}
          initialPeople={people}
          onChosen={(chosen, chosenPeople) => {
            setQueues(chosen);
            setPeople(chosenPeople);
            setScreen('board');
          }}
          {...(watching ? { onCancel: () => { setScreen('board'); } } : {})}
        />
      )}
      {screen === 'board' && (
        <Board
          key={[
            ...queues.map((q) => q.id),
            ...people.people.map((p) => p.userId),
            String(people.watchSelf),
            String(people.watchQueuePeople),
          ].join(',')}
          queues={queues}
          people={seen}
          source={rosterSource}
          onSessionLost={sessionLost}
          onChooseQueues={() => {
            setScreen('queues');
          }}
          onOpenPolicy={() => {
            setScreen('policy');
          }}
        />
      )}
      {screen === 'policy' && <Policy onSessionLost={sessionLost} />}
      {screen === 'audit' && <Audit onSessionLost={sessionLost} />}
    </Frame>
  );
}

function Frame({
  app,
  session,
  nav,
  mainRef,
  config,
  notices,
  children,
}: {
  app: AppInfo | undefined;
  session: SessionInfo | undefined;
  nav?: ReactNode;
  /** Its problems (ignored files) are shown above every screen. */
  config?: AppConfigResponse;
  /** Notices above the screen (the permission check). */
  notices?: ReactNode;
  mainRef?: Ref<HTMLElement>;
  children: ReactNode;
}) {
  const demo = Boolean(app?.demo) || Boolean(session?.demo);
  return (
    <div className="app">
      <header className="app-header">
        <h1>Bridgekeeper</h1>
        {demo && <span className="badge badge-demo">Demo organisation</span>}
        {session && (
          <span className="who">
            {session.userName} <span className="muted">· {session.environment}</span>
          </span>
        )}
        {nav}
      </header>
      {config && <ConfigProblems problems={config.problems} />}
      {app && <UpdateNotice />}
      {notices}
      <main className="app-main" ref={mainRef}>
        {children}
      </main>
      <KeyboardHelp />
      {app && (
        <footer className="app-footer muted small">
          Bridgekeeper {app.version}
          {app.demo && (
            <>
              {' '}
              · demo organisation at <code>{app.demo.baseUrl}</code>
            </>
          )}
        </footer>
      )}
    </div>
  );
}
