// The console's shell: the session (asked of the API at load; the cookie is HttpOnly, so
// only the API knows it), the navigation and the page of the current hash route.
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, setCsrfToken, SIGNED_OUT_EVENT, type Schemas } from './api';
import { href, useRoute } from './router';
import { Agents } from './pages/Agents';
import { Channels } from './pages/Channels';
import { Plugins } from './pages/Plugins';
import { Scripts } from './pages/Scripts';
import { Dashboard } from './pages/Dashboard';
import { JobPage } from './pages/JobPage';
import { Jobs } from './pages/Jobs';
import { Repositories } from './pages/Repositories';
import { RepositoryPage } from './pages/RepositoryPage';
import { RunPage } from './pages/RunPage';
import { Runs } from './pages/Runs';
import { SignIn } from './pages/SignIn';
import { SnapshotBrowser, Snapshots } from './pages/Snapshots';
import './style.css';

type Session = Schemas['ConsoleSession'];

const NAV: Array<[string, string]> = [
  ['', 'Dashboard'],
  ['runs', 'Runs'],
  ['jobs', 'Jobs'],
  ['snapshots', 'Snapshots'],
  ['repositories', 'Repositories'],
  ['agents', 'Agents'],
  ['scripts', 'Scripts'],
  ['plugins', 'Plugins'],
  ['channels', 'Notifications'],
];

function App() {
  // undefined: still asking; null: signed out.
  const [session, setSession] = useState<Session | null | undefined>(undefined);
  const route = useRoute();
  useEffect(() => {
    void api.GET('/v1/session').then((r) => {
      setCsrfToken(r.data?.csrfToken ?? null);
      setSession(r.data ?? null);
    });
    const out = () => {
      setCsrfToken(null);
      setSession(null);
    };
    window.addEventListener(SIGNED_OUT_EVENT, out);
    return () => window.removeEventListener(SIGNED_OUT_EVENT, out);
  }, []);
  if (session === undefined) return null;
  if (session === null) return <SignIn onSignedIn={setSession} />;
  const signOut = async () => {
    await api.DELETE('/v1/session');
    setCsrfToken(null);
    setSession(null);
  };
  const [page = '', id] = route.parts;
  return (
    <>
      <header>
        <span class="brand">Backstop</span>
        <nav>
          {NAV.map(([path, label]) => (
            <a key={path} href={href(path)} class={page === path ? 'active' : ''}>
              {label}
            </a>
          ))}
        </nav>
        <span class="who">
          {session.name} <button onClick={() => void signOut()}>Sign out</button>
        </span>
      </header>
      <main>
        <Page page={page} id={id} session={session} route={route} />
      </main>
    </>
  );
}

function Page(props: { page: string; id: string | undefined; session: Session; route: ReturnType<typeof useRoute> }) {
  switch (props.page) {
    case '':
      return <Dashboard />;
    case 'runs':
      return props.id ? <RunPage runId={props.id} temporalUiUrl={props.session.temporalUiUrl ?? null} /> : <Runs route={props.route} />;
    case 'jobs':
      return props.id ? <JobPage jobId={Number(props.id)} /> : <Jobs />;
    case 'snapshots':
      return props.id ? <SnapshotBrowser snapshotId={props.id} route={props.route} /> : <Snapshots route={props.route} />;
    case 'repositories':
      return props.id ? <RepositoryPage repositoryId={Number(props.id)} /> : <Repositories />;
    case 'agents':
      return <Agents />;
    case 'scripts':
      return <Scripts />;
    case 'plugins':
      return <Plugins route={props.route} />;
    case 'channels':
      return <Channels />;
    default:
      return <p>No such page.</p>;
  }
}

render(<App />, document.getElementById('app')!);
