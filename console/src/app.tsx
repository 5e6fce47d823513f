import { useEffect, useState, type ReactNode } from 'react';
import { SIGNED_OUT_EVENT } from './api.ts';
import { Link, usePage } from './router.tsx';
import { storedKey, storeKey } from './session.ts';
import { Logo, SignIn } from './pages/sign-in.tsx';
import { KeysPage } from './pages/keys.tsx';
import { BalancesPage } from './pages/balances.tsx';
import { UsagePage } from './pages/usage.tsx';
import { RateLimitsPage } from './pages/rate-limits.tsx';
import { ModelsPage } from './pages/models.tsx';
import { JobsPage } from './pages/jobs.tsx';
import { CharactersPage } from './pages/characters.tsx';
import { WalletsPage } from './pages/wallets.tsx';
import { PlaygroundPage } from './pages/playground/playground.tsx';

interface PageDefinition {
  path: string;
  title: string;
  icon: ReactNode;
  render: () => ReactNode;
}

const icon = (path: string): ReactNode => (
  <svg viewBox="0 0 24 24" width="18" height="18" aria-hidden="true">
    <path
      d={path}
      fill="none"
      stroke="currentColor"
      strokeWidth="1.8"
      strokeLinecap="round"
      strokeLinejoin="round"
    />
  </svg>
);

const PAGES: PageDefinition[] = [
  {
    path: 'keys',
    title: 'API keys',
    icon: icon('M15 7a4 4 0 1 1-3.9 4.9L4 19v2h3v-2h2v-2h2l1.1-1.1A4 4 0 0 1 15 7z'),
    render: () => <KeysPage />,
  },
  {
    path: 'balances',
    title: 'Balances',
    icon: icon('M3 7h18v12H3zM3 11h18M7 15h3'),
    render: () => <BalancesPage />,
  },
  {
    path: 'usage',
    title: 'Usage',
    icon: icon('M4 20V10M10 20V4M16 20v-7M22 20H2'),
    render: () => <UsagePage />,
  },
  {
    path: 'rate-limits',
    title: 'Rate limits',
    icon: icon('M12 21a9 9 0 1 1 9-9M12 7v5l3 2'),
    render: () => <RateLimitsPage />,
  },
  {
    path: 'models',
    title: 'Models',
    icon: icon('M12 2l9 5v10l-9 5-9-5V7zM12 12l9-5M12 12v10M12 12L3 7'),
    render: () => <ModelsPage />,
  },
  {
    path: 'jobs',
    title: 'Async jobs',
    icon: icon('M4 6h16M4 12h10M4 18h6M18 14l3 3-3 3'),
    render: () => <JobsPage />,
  },
  {
    path: 'wallets',
    title: 'Wallets',
    icon: icon('M3 7h15a3 3 0 0 1 3 3v8H3zM3 7l12-4v4M16 13h2'),
    render: () => <WalletsPage />,
  },
  {
    path: 'characters',
    title: 'Characters',
    icon: icon('M12 12a4 4 0 1 0 0-8 4 4 0 0 0 0 8zM4 21a8 8 0 0 1 16 0'),
    render: () => <CharactersPage />,
  },
  {
    path: 'playground',
    title: 'Playground',
    icon: icon('M5 3l14 9-14 9z'),
    render: () => <PlaygroundPage />,
  },
];

export function App() {
  const [key, setKey] = useState(storedKey);
  useEffect(() => {
    const signOut = (): void => {
      storeKey(null);
      setKey(null);
    };
    window.addEventListener(SIGNED_OUT_EVENT, signOut);
    return () => window.removeEventListener(SIGNED_OUT_EVENT, signOut);
  }, []);
  if (key === null)
    return (
      <SignIn
        onSignedIn={(value) => {
          storeKey(value);
          setKey(value);
        }}
      />
    );
  return (
    <Shell
      onSignOut={() => {
        storeKey(null);
        setKey(null);
      }}
    />
  );
}

function Shell({ onSignOut }: { onSignOut: () => void }) {
  const page = usePage();
  const [menuOpen, setMenuOpen] = useState(false);
  const current = PAGES.find((candidate) => candidate.path === page) ?? PAGES[0]!;
  useEffect(() => {
    document.title = `${current.title} · Rialto console`;
    setMenuOpen(false);
  }, [current]);
  // The folded menu (narrow screens): focus moves into it when it opens, and Escape closes it.
  useEffect(() => {
    if (!menuOpen) return undefined;
    document.querySelector<HTMLElement>('#sidebar a')?.focus();
    const onKey = (event: KeyboardEvent): void => {
      if (event.key === 'Escape') setMenuOpen(false);
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [menuOpen]);

  return (
    <div className={`shell ${menuOpen ? 'menu-open' : ''}`}>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <button
          type="button"
          className="icon-button menu-button"
          aria-expanded={menuOpen}
          aria-controls="sidebar"
          onClick={() => setMenuOpen(!menuOpen)}
        >
          <span className="sr-only">Menu</span>
          <svg viewBox="0 0 24 24" width="22" height="22" aria-hidden="true">
            <path
              d="M4 6h16M4 12h16M4 18h16"
              stroke="currentColor"
              strokeWidth="2"
              strokeLinecap="round"
            />
          </svg>
        </button>
        <span className="brand">
          <Logo /> Rialto
        </span>
      </header>
      <nav id="sidebar" className="sidebar" aria-label="Console">
        <span className="brand sidebar-brand">
          <Logo /> Rialto <small>console</small>
        </span>
        <ul>
          {PAGES.map((entry) => (
            <li key={entry.path}>
              <Link
                to={entry.path}
                className="nav-link"
                aria-current={entry === current ? 'page' : undefined}
              >
                {entry.icon}
                {entry.title}
              </Link>
            </li>
          ))}
        </ul>
        <div className="sidebar-footer">
          <a className="nav-link" href="/api/v1/models" target="_blank" rel="noreferrer">
            API: /api/v1
          </a>
          <button type="button" className="nav-link sign-out" onClick={onSignOut}>
            Sign out
          </button>
        </div>
      </nav>
      {menuOpen ? (
        <button
          type="button"
          className="scrim"
          aria-label="Close menu"
          onClick={() => setMenuOpen(false)}
        />
      ) : null}
      <main id="main" className="content" tabIndex={-1} key={current.path}>
        {current.render()}
      </main>
    </div>
  );
}
