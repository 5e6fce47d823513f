// Shared by console.test.ts: Chromium, the models the console is driven against, and page helpers that fail on any
// error state the console shows.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { tinyModelPath } from '../fixtures/tiny-gguf.ts';
import { chatModel } from './upstream-support.ts';

const ROOT = new URL('../../', import.meta.url).pathname;
const ARTIFACTS = join(ROOT, 'test-artifacts', 'console');
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-quic',
  '--no-first-run',
  '--disable-component-update',
  '--disable-sync',
];
/** Where the console keeps the admin key (console/src/session.ts). */
export const SESSION_KEY = 'rialto.console.adminKey';
/** Every wait in the browser: generous, so a loaded 2-core machine never fails the suite. */
export const WAIT_MS = 60_000;
export const PAGES = [
  'keys',
  'balances',
  'usage',
  'rate-limits',
  'models',
  'jobs',
  'wallets',
  'characters',
  'playground',
] as const;
const price = (usd: number): { usd: number; diem: number } => ({ usd, diem: usd });
const ZERO = price(0);
const VIDEO_CONSTRAINTS = {
  aspect_ratios: ['16:9'],
  resolutions: ['720p'],
  durations: ['5s'],
  model_type: 'text-to-video',
  audio: false,
  audio_configurable: false,
  prompt_character_limit: 200,
};

/** Builds the console when console/dist is missing (a checkout without `npm install`), and makes the screenshot folder. */
export function prepareConsole(): void {
  if (!existsSync(join(ROOT, 'console', 'dist', 'index.html'))) {
    const build = spawnSync('npm', ['run', 'build:console'], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(
      build.status,
      0,
      `npm run build:console failed:\n${build.stdout}\n${build.stderr}`,
    );
  }
  mkdirSync(ARTIFACTS, { recursive: true });
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: CHROMIUM_ARGS,
  });
}

/** A priced model of every kind the console shows: llama.cpp, a vLLM replay (reasoning, tools), A1111, espeak-ng, a Venice video relay. */
export async function consoleModels(urls: {
  a1111: string;
  replay: string;
  jobs: string;
}): Promise<Record<string, unknown>[]> {
  return [
    {
      id: 'tiny',
      name: 'Tiny Llama',
      engine: { kind: 'llama-cpp', path: await tinyModelPath(), threads: 1, sequences: 2 },
      contextLength: 1024,
      traits: ['default'],
      pricing: { input: price(1), output: price(2) },
    },
    chatModel('thinker', 'vllm', [urls.replay]),
    {
      id: 'sd-a1111',
      name: 'SDXL on A1111',
      type: 'image',
      engine: { kind: 'automatic1111', endpoints: [{ url: urls.a1111 }] },
      pricing: { input: ZERO, output: ZERO, generation: price(0.01) },
    },
    {
      id: 'tts-espeak',
      type: 'tts',
      engine: { kind: 'espeak-ng', voices: ['en-us', 'en-gb'], concurrency: 1 },
      defaultFormat: 'wav',
      pricing: { input: price(12), output: ZERO },
    },
    {
      id: 'wan-relay',
      type: 'video',
      engine: {
        kind: 'venice',
        endpoints: [{ url: urls.jobs }],
        model: 'wan-2.5-preview-text-to-video',
      },
      videoConstraints: VIDEO_CONSTRAINTS,
      pricing: { input: ZERO, output: ZERO, per_second: price(0.01) },
    },
  ];
}

/** Waits until no loading indicator is left, then fails if the page shows an error state or an error message. */
export async function settle(page: Page): Promise<void> {
  await page.locator('main h1').first().waitFor({ timeout: WAIT_MS });
  // Polled from here: the console's CSP forbids the eval a string predicate would need in the page.
  const deadline = Date.now() + WAIT_MS;
  while ((await page.locator('.state-loading').count()) > 0) {
    assert.ok(Date.now() < deadline, `${page.url()} is still loading`);
    await page.waitForTimeout(50);
  }
  const errors = await page.locator('.error-state, .inline-error').allInnerTexts();
  assert.deepEqual(errors, [], `${page.url()} shows an error`);
}

export async function visit(page: Page, path: string): Promise<void> {
  await page.goto(`${new URL(page.url()).origin}/console/${path}`);
  await settle(page);
}

export async function shoot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}
