import { useEffect, useState, type AnchorHTMLAttributes, type MouseEvent } from 'react';

// A history-API router for the few pages of the console: the server answers index.html for every /console/* path.
const BASE = '/console';
const listeners = new Set<() => void>();

/** The page path below /console, without slashes: '' for the home page, 'keys', 'playground', … */
function currentPage(): string {
  const path = window.location.pathname;
  const below = path.startsWith(BASE) ? path.slice(BASE.length) : path;
  return below.replace(/^\/+|\/+$/g, '');
}

export function navigate(page: string): void {
  const target = `${BASE}/${page}`;
  if (window.location.pathname !== target) window.history.pushState(null, '', target);
  for (const listener of listeners) listener();
}

export function usePage(): string {
  const [page, setPage] = useState(currentPage);
  useEffect(() => {
    const update = (): void => setPage(currentPage());
    listeners.add(update);
    window.addEventListener('popstate', update);
    return () => {
      listeners.delete(update);
      window.removeEventListener('popstate', update);
    };
  }, []);
  return page;
}

/** A real link (it opens in a new tab, copies, reads as a link) that navigates in place on a plain click. */
export function Link({ to, ...rest }: { to: string } & AnchorHTMLAttributes<HTMLAnchorElement>) {
  const onClick = (event: MouseEvent<HTMLAnchorElement>): void => {
    rest.onClick?.(event);
    if (
      event.defaultPrevented ||
      event.button !== 0 ||
      event.metaKey ||
      event.ctrlKey ||
      event.shiftKey ||
      event.altKey
    )
      return;
    event.preventDefault();
    navigate(to);
  };
  return <a {...rest} href={`${BASE}/${to}`} onClick={onClick} />;
}
