// The operator's web console (console/, served at /console) in Debian's Chromium through playwright-core, against a
// real Rialto: the tiny llama.cpp model, a vLLM replay upstream (reasoning, tool calls), the AUTOMATIC1111 double,
// espeak-ng and a Venice job upstream double. It signs in, creates and edits a key, tops up an account, chats,
// generates an image, speaks, creates a character, then visits every page and checks it shows this run's data
// and no error state. Screenshots of every page (desktop and phone) go to test-artifacts/console/.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { toNanos } from '../../src/services/billing/money.ts';
import { startRialto, type TestRialto } from '../support/start-rialto.ts';
import {
  startAutomatic1111Server,
  type Automatic1111Server,
} from '../support/upstream/automatic1111-server.ts';
import {
  startReplayServer,
  type ReplayServer,
} from '../support/upstream/upstream-replay-server.ts';
import { VeniceJobsServer } from '../support/upstream/venice-jobs-server.ts';
import {
  consoleModels,
  launchChromium,
  PAGES,
  prepareConsole,
  SESSION_KEY,
  settle,
  shoot,
  visit,
  WAIT_MS,
} from './console-support.ts';

const WALLET = '0x00000000000000000000000000000000c0ffee01';

describe('web console in Chromium', { timeout: 300_000 }, () => {
  let a1111: Automatic1111Server;
  let jobsUpstream: VeniceJobsServer;
  let replay: ReplayServer;
  let rialto: TestRialto;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let createdKey = '';
  const pageErrors: string[] = [];

  before(async () => {
    prepareConsole();
    // One at a time, each assigned as it starts: `after` closes those that did when a later one fails.
    a1111 = await startAutomatic1111Server();
    jobsUpstream = await VeniceJobsServer.start({ pollsUntilDone: 1 });
    replay = await startReplayServer({ flavor: 'vllm' });
    rialto = await startRialto(
      {
        jobs: { pollIntervalMs: 50 },
        // One speech request a minute per key: the second one is a breach the rate-limit page must list.
        rateLimits: { enabled: true, overrides: { audio: { requestsPerMinute: 1 } } },
        models: await consoleModels({
          a1111: a1111.url,
          replay: replay.url,
          jobs: jobsUpstream.url,
        }),
      },
      { database: 'sqlite' },
    );
    // A second account, so the balances page lists more than one.
    await rialto.keys.create({
      apiKeyType: 'INFERENCE',
      description: 'studio app',
      accountId: 'studio',
    });
    await rialto.store.accounts.credit('studio', 'USD', toNanos(42));
    // An x402 wallet with one top-up, for the wallets page (as /x402/top-up credits one).
    await rialto.store.wallets.credit({
      wallet: `eip155:${WALLET}`,
      type: 'TOP_UP',
      amount: 7_250_000_001,
      idempotencyKey: 'eip155:84532:0xc0ffee',
      network: 'eip155:84532',
      transaction: '0xc0ffee',
      createdAt: new Date().toISOString(),
    });
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    page = await context.newPage();
    page.on('pageerror', (error) => pageErrors.push(error.message));
  });
  after(async () => {
    await browser?.close();
    await rialto?.close();
    await Promise.all([a1111?.close(), jobsUpstream?.close(), replay?.close()]);
  });

  it('serves the single page: hashed assets cached for good, deep links answered with index.html', async () => {
    const index = await fetch(`${rialto.origin}/console`);
    assert.equal(index.status, 200);
    assert.equal(index.headers.get('content-type'), 'text/html; charset=utf-8');
    assert.match(index.headers.get('content-security-policy') ?? '', /frame-ancestors 'none'/);
    const html = await index.text();
    const script = /src="(\/console\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    assert.ok(script, html);
    const asset = await fetch(`${rialto.origin}${script}`);
    assert.equal(asset.headers.get('content-type'), 'text/javascript; charset=utf-8');
    assert.equal(asset.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    const deep = await fetch(`${rialto.origin}/console/usage`);
    assert.equal(await deep.text(), html);
    assert.equal((await fetch(`${rialto.origin}/console/assets/missing.js`)).status, 404);
  });

  it('signs in with an ADMIN key only', async () => {
    await page.goto(`${rialto.origin}/console`);
    await shoot(page, 'desktop-sign-in');
    await page.getByLabel('Admin key').fill(rialto.inferenceKey);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('This is an INFERENCE key').waitFor({ timeout: WAIT_MS });
    await page.getByLabel('Admin key').fill(rialto.adminKey);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'API keys' }).waitFor({ timeout: WAIT_MS });
    await settle(page);
    assert.equal(
      await page.evaluate(`sessionStorage.getItem(${JSON.stringify(SESSION_KEY)})`),
      rialto.adminKey,
    );
  });

  it('creates a key with limits, shows it once, and the key works', async () => {
    await page.getByRole('button', { name: 'Create key' }).click();
    const dialog = page.getByRole('dialog', { name: 'Create an API key' });
    await dialog.getByLabel('Description').fill('Console test key');
    await dialog.getByLabel('USD spend limit').fill('5');
    await dialog.getByLabel('Limit period').selectOption('MONTH');
    await dialog
      .getByLabel('Expires on')
      .fill(new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10));
    await dialog.getByRole('button', { name: 'Create key' }).click();
    const shown = page.getByTestId('created-key');
    await shown.waitFor({ timeout: WAIT_MS });
    createdKey = (await shown.innerText()).trim();
    assert.match(createdKey, /^rk-[0-9a-f]{16}-/);
    await shoot(page, 'desktop-key-created');
    await page.getByRole('button', { name: 'Done' }).click();
    const row = page.getByRole('row').filter({ hasText: 'Console test key' });
    await row.waitFor({ timeout: WAIT_MS });
    assert.match(await row.innerText(), /\$5\.00 \/ month/);
    const models = await fetch(`${rialto.baseURL}/api_keys/rate_limits`, {
      headers: { authorization: `Bearer ${createdKey}` },
    });
    assert.equal(models.status, 200);
  });

  it('edits a key', async () => {
    await page.getByRole('button', { name: 'Edit Console test key' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Description').fill('Console key (edited)');
    await dialog.getByLabel('DIEM spend limit').fill('3');
    await dialog.getByRole('button', { name: 'Save changes' }).click();
    await page
      .getByRole('row')
      .filter({ hasText: 'Console key (edited)' })
      .waitFor({ timeout: WAIT_MS });
    const record = (await rialto.store.apiKeys.listActive('default')).find(
      (key) => key.description === 'Console key (edited)',
    );
    assert.deepEqual(record?.consumptionLimits, { usd: toNanos(5), diem: toNanos(3), vcu: null });
  });

  it('tops up an account', async () => {
    await visit(page, 'balances');
    const before = (await rialto.store.accounts.find('default'))!.usdBalance;
    await page.getByRole('button', { name: 'Top up default' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Amount').fill('25');
    await dialog.getByRole('button', { name: 'Add funds' }).click();
    await page
      .getByRole('status')
      .filter({ hasText: 'Added $25.00 to default' })
      .waitFor({ timeout: WAIT_MS });
    assert.equal((await rialto.store.accounts.find('default'))!.usdBalance, before + toNanos(25));
  });

  it('streams a chat answer from the llama.cpp model', async () => {
    await visit(page, 'playground');
    const streamed = page.waitForRequest((request) =>
      request.url().endsWith('/api/v1/chat/completions'),
    );
    await page.getByLabel('Max tokens').fill('24');
    await page.getByLabel('Message').fill('Hello, tiny model');
    await page.getByRole('button', { name: 'Send' }).click();
    assert.equal(JSON.parse((await streamed).postData() ?? '{}').stream, true);
    const answer = page.getByTestId('assistant-message').last();
    await answer.getByText(/completion tokens/).waitFor({ timeout: WAIT_MS });
    assert.notEqual((await answer.getByTestId('answer').innerText()).trim(), '');
    await settle(page);
  });

  it('shows reasoning apart from the answer, and tool calls', async () => {
    await page.getByLabel('Model').selectOption('thinker');
    await page.getByLabel('Message').fill('#reasoning Is 17 prime? Answer briefly.');
    await page.getByRole('button', { name: 'Send' }).click();
    const answer = page.getByTestId('assistant-message').last();
    await answer.getByText(/completion tokens/).waitFor({ timeout: WAIT_MS });
    await answer.locator('details.reasoning').waitFor();
    assert.notEqual((await answer.locator('details.reasoning p').textContent())?.trim(), '');
    assert.match(await answer.getByTestId('answer').innerText(), /17/);

    await page.getByText('Tools (function calling)').click();
    await page.getByRole('button', { name: 'Insert an example' }).click();
    await page.getByLabel('Message').fill('#tool-call What is the weather in Paris?');
    await page.getByRole('button', { name: 'Send' }).click();
    const toolAnswer = page.getByTestId('assistant-message').last();
    await toolAnswer.getByText(/completion tokens/).waitFor({ timeout: WAIT_MS });
    assert.match(await toolAnswer.locator('.tool-call').innerText(), /get_weather[\s\S]*Paris/);
    await settle(page);
    await shoot(page, 'desktop-playground-chat');
  });

  it('generates an image', async () => {
    await page.getByRole('tab', { name: 'Image' }).click();
    await page.getByLabel('Prompt', { exact: true }).fill('A gondola on the Grand Canal at dawn');
    await page.getByRole('button', { name: 'Generate' }).click();
    const image = page.getByTestId('generated-image').first();
    await image.waitFor({ timeout: WAIT_MS });
    assert.ok(
      (await image.evaluate(async (element) => {
        await element.decode();
        return element.naturalWidth;
      })) > 0,
    );
    await settle(page);
    await shoot(page, 'desktop-playground-image');
  });

  it('speaks, and the audio plays', async () => {
    await page.getByRole('tab', { name: 'Speech' }).click();
    await page.getByRole('button', { name: 'Speak' }).click();
    const audio = page.getByTestId('speech-audio').first();
    await audio.waitFor({ timeout: WAIT_MS });
    const seconds = await audio.evaluate(
      (element) =>
        new Promise<number>((resolve, reject) => {
          if (element.readyState >= 1) resolve(element.duration);
          element.addEventListener('loadedmetadata', () => resolve(element.duration));
          element.addEventListener('error', () =>
            reject(new Error(`audio error ${element.error?.code}`)),
          );
        }),
    );
    assert.ok(seconds > 0.5, `${seconds} s of speech`);
    await settle(page);
    await shoot(page, 'desktop-playground-speech');
  });

  it('creates a character', async () => {
    await visit(page, 'characters');
    await page.getByRole('button', { name: 'New character' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Name').fill('Ada Lovelace');
    await dialog.getByLabel('Slug').fill('ada-lovelace');
    await dialog
      .getByLabel('Description')
      .fill('Mathematician and the first programmer; talks about engines and notes.');
    await dialog.getByLabel('Persona (system prompt)').fill('You are Ada Lovelace.');
    await dialog.getByLabel('Model').fill('tiny');
    await dialog.getByLabel('Tags').fill('Science, History');
    await dialog.getByRole('button', { name: 'Create character' }).click();
    await page.getByRole('heading', { name: 'Ada Lovelace' }).waitFor({ timeout: WAIT_MS });
  });

  it('traffic on another key: a video job and a rate-limit breach', async () => {
    const post = (path: string, body: unknown): Promise<Response> =>
      fetch(`${rialto.baseURL}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${createdKey}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const queued = await post('/video/queue', {
      model: 'wan-relay',
      prompt: 'A gondola at sunset',
      duration: '5s',
      resolution: '720p',
    });
    assert.equal(queued.status, 200, await queued.clone().text());
    const { queue_id: queueId } = (await queued.json()) as { queue_id: string };
    for (let turn = 0; (await rialto.store.jobs.find(queueId))?.state !== 'COMPLETED'; turn += 1) {
      assert.ok(turn < 1200, 'the video job did not complete');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const speech = { model: 'tts-espeak', input: 'One request a minute.', response_format: 'wav' };
    assert.equal((await post('/audio/speech', speech)).status, 200);
    assert.equal((await post('/audio/speech', speech)).status, 429);
    const chat = await post('/chat/completions', {
      model: 'tiny',
      messages: [{ role: 'user', content: 'Hi' }],
      max_tokens: 8,
    });
    assert.equal(chat.status, 200);
  });

  it("every page shows this run's data, on a desktop screen", async () => {
    const expectations: Record<(typeof PAGES)[number], RegExp[]> = {
      keys: [/Console key \(edited\)/, /test admin/, /this console/],
      balances: [/studio/, /\$42\.00/, /default/],
      usage: [/tiny/, /sd-a1111/, /tts-espeak/, /wan-relay/],
      'rate-limits': [/Console key \(edited\)/, /tts-espeak/, /RPM/],
      models: [/Tiny Llama/, /thinker/, /SDXL on A1111/, /espeak-ng/, /wan-relay/],
      jobs: [/A gondola at sunset/, /COMPLETED/],
      wallets: [new RegExp(WALLET), /\$7\.250000001/, /EVM/],
      characters: [/Ada Lovelace/, /#Science/],
      playground: [/Chat/],
    };
    for (const path of PAGES) {
      await visit(page, path);
      if (path === 'models') await page.getByText('Healthy').first().waitFor({ timeout: WAIT_MS });
      const text = await page.locator('main').innerText();
      for (const expected of expectations[path]) assert.match(text, expected, `${path} page`);
      await shoot(page, `desktop-${path}`);
    }
    // The models page: every engine of this run is up.
    await visit(page, 'models');
    await page.getByText('Healthy').first().waitFor({ timeout: WAIT_MS });
    assert.equal(await page.locator('.health-down').count(), 0);
  });

  it("the wallets page opens a wallet's ledger: its TOP_UP, exact to the nano", async () => {
    await visit(page, 'wallets');
    await page.getByRole('button', { name: `Ledger of ${WALLET}` }).click();
    const ledger = page.getByRole('region', { name: 'Ledger' });
    await ledger.getByRole('cell', { name: 'TOP_UP' }).waitFor({ timeout: WAIT_MS });
    const text = await ledger.innerText();
    for (const expected of [/\$7\.250000001/, /eip155:84532/, /0xc0ffee/])
      assert.match(text, expected);
    await shoot(page, 'desktop-wallet-ledger');
  });

  it('usage groups by key and by type, with cost and tokens', async () => {
    await visit(page, 'usage');
    await page.getByRole('radio', { name: 'By key' }).check();
    await page.getByRole('cell', { name: /Console key \(edited\)/ }).waitFor();
    await page.getByRole('radio', { name: 'By type' }).check();
    for (const type of ['Text', 'Images', 'Speech', 'Video'])
      await page.getByRole('cell', { name: type, exact: true }).waitFor();
    await page.getByRole('radio', { name: 'Tokens' }).check();
    assert.ok((await page.locator('.chart-day rect[fill]').count()) > 0, 'the chart draws bars');
    await settle(page);
    await shoot(page, 'desktop-usage-by-type-tokens');
  });

  it('every page on a phone: the sidebar folds into a menu', async () => {
    // Reduced motion: the menu opens without its slide, so the screenshot shows it open.
    const phone = await browser.newContext({
      viewport: { width: 390, height: 844 },
      deviceScaleFactor: 2,
      isMobile: true,
      hasTouch: true,
      reducedMotion: 'reduce',
    });
    await phone.addInitScript(
      `sessionStorage.setItem(${JSON.stringify(SESSION_KEY)}, ${JSON.stringify(rialto.adminKey)})`,
    );
    const mobile = await phone.newPage();
    mobile.on('pageerror', (error) => pageErrors.push(error.message));
    try {
      await mobile.goto(`${rialto.origin}/console/keys`);
      await settle(mobile);
      assert.equal(await mobile.getByRole('navigation', { name: 'Console' }).isVisible(), false);
      await mobile.getByRole('button', { name: 'Menu' }).click();
      await mobile.getByRole('link', { name: 'Usage' }).waitFor();
      await shoot(mobile, 'mobile-menu');
      await mobile.getByRole('link', { name: 'Usage' }).click();
      await settle(mobile);
      assert.equal(await mobile.getByRole('navigation', { name: 'Console' }).isVisible(), false);
      for (const path of PAGES) {
        await visit(mobile, path);
        await shoot(mobile, `mobile-${path}`);
      }
    } finally {
      await phone.close();
    }
  });

  it('no script error happened in any page', () => {
    assert.deepEqual(pageErrors, []);
  });
});
