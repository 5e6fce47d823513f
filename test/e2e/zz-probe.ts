import { chromium } from 'playwright-core';
import { startRialto } from '../support/start-rialto.ts';
const rialto = await startRialto({}, { database: 'sqlite' });
await rialto.store.usage.insert({ id: 'u1', requestId: 'r1', accountId: 'default', keyId: 'k', modelId: 'a-long-model-name', modelType: 'text', currency: 'USD', amount: 1000000, promptTokens: 10, completionTokens: 5, cachedTokens: 0, status: 'completed', executionMs: 1, createdAt: new Date().toISOString() });
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ['--no-sandbox','--disable-gpu'] });
const context = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
await context.addInitScript(`sessionStorage.setItem('rialto.console.adminKey', ${JSON.stringify(rialto.adminKey)})`);
const page = await context.newPage();
for (const path of ['usage', 'keys']) {
  await page.goto(`${rialto.origin}/console/${path}`);
  await page.waitForTimeout(1500);
  const result = await page.evaluate(`(() => { const w = document.documentElement.clientWidth; const out = []; for (const e of document.querySelectorAll('*')) { const r = e.getBoundingClientRect(); if (r.right > w + 1) out.push(e.tagName + '.' + e.className + ' ' + Math.round(r.right)); } return [document.documentElement.scrollWidth, w, out.slice(0, 15)]; })()`);
  console.log(path, JSON.stringify(result));
}
await browser.close();
await rialto.close();
