// The admin key lives in sessionStorage: it survives reloads of this tab and is gone when the tab closes.
const STORAGE_KEY = 'rialto.console.adminKey';

export function storedKey(): string | null {
  return sessionStorage.getItem(STORAGE_KEY);
}

export function storeKey(key: string | null): void {
  if (key === null) sessionStorage.removeItem(STORAGE_KEY);
  else sessionStorage.setItem(STORAGE_KEY, key);
}
