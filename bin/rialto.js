#!/usr/bin/env node
// Runs the compiled dist/ (`npm run build`; the published package ships only that, without src/ or tsx). In a
// checkout that has no build, or whose sources changed since it (bin/build-state.js), the sources run through tsx
// instead, so development and the tests never run stale code.
import { buildIsCurrent } from './build-state.js';

if (buildIsCurrent(new URL('../', import.meta.url))) {
  await import('../dist/main.js');
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/main.ts');
}
