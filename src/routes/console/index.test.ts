import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { registerConsoleRoutes } from './index.ts';

describe('console routes', () => {
  let folder: string;
  let app: FastifyInstance;
  let unbuilt: FastifyInstance;

  before(async () => {
    folder = mkdtempSync(join(tmpdir(), 'rialto-console-'));
    const dist = join(folder, 'dist');
    mkdirSync(join(dist, 'assets'), { recursive: true });
    writeFileSync(join(dist, 'index.html'), '<!doctype html><title>console</title>');
    writeFileSync(join(dist, 'assets', 'index-abc123.js'), 'console.log(1)');
    writeFileSync(join(dist, 'favicon.svg'), '<svg/>');
    writeFileSync(join(folder, 'secret.txt'), 'not for the web');
    app = Fastify();
    registerConsoleRoutes(app, dist);
    unbuilt = Fastify();
    registerConsoleRoutes(unbuilt, join(folder, 'missing'));
  });
  after(async () => {
    await Promise.all([app.close(), unbuilt.close()]);
    rmSync(folder, { recursive: true, force: true });
  });

  it('answers index.html for /console, /console/ and unknown pages, never cached, framed by nobody', async () => {
    for (const url of [
      '/console',
      '/console/',
      '/console/keys',
      '/console/usage/deep/link',
      '/console/index.html',
    ]) {
      const response = await app.inject({ url });
      assert.equal(response.statusCode, 200, url);
      assert.equal(response.headers['content-type'], 'text/html; charset=utf-8');
      assert.equal(response.headers['cache-control'], 'no-cache');
      assert.equal(response.headers['x-frame-options'], 'DENY');
      assert.equal(response.body, '<!doctype html><title>console</title>');
    }
  });

  it('serves files with their content type; hashed assets are immutable', async () => {
    const script = await app.inject({ url: '/console/assets/index-abc123.js' });
    assert.deepEqual(
      [
        script.statusCode,
        script.headers['content-type'],
        script.headers['cache-control'],
        script.body,
      ],
      [
        200,
        'text/javascript; charset=utf-8',
        'public, max-age=31536000, immutable',
        'console.log(1)',
      ],
    );
    const icon = await app.inject({ url: '/console/favicon.svg' });
    assert.deepEqual(
      [icon.headers['content-type'], icon.headers['cache-control']],
      ['image/svg+xml', 'no-cache'],
    );
    assert.equal(
      (await app.inject({ method: 'HEAD', url: '/console/favicon.svg' })).statusCode,
      200,
    );
  });

  it('answers 404 for a missing asset, and never reads outside the build', async () => {
    assert.equal((await app.inject({ url: '/console/assets/gone.js' })).statusCode, 404);
    for (const url of [
      '/console/../secret.txt',
      '/console/%2e%2e/secret.txt',
      '/console/..%2fsecret.txt',
      '/console/assets/..%2f..%2fsecret.txt',
      '/console/%00',
    ]) {
      const response = await app.inject({ url });
      assert.ok(!response.body.includes('not for the web'), url);
    }
  });

  it('says how to build the console when there is no build', async () => {
    const response = await unbuilt.inject({ url: '/console/keys' });
    assert.equal(response.statusCode, 503);
    assert.equal(response.headers['content-type'], 'text/html; charset=utf-8');
    assert.match(response.body, /npm run build:console/);
  });
});
