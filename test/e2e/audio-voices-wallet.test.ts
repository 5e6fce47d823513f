// POST /audio/voices with SIGN-IN-WITH-X (swagger: security BearerAuth or siwx; #20 item 4) on the Chatterbox
// double (test/support/chatterbox-double.ts): a signed-in wallet clones a voice, owned by its ledger id
// ('eip155:<lowercase address>'), and speaks with the vv_ handle, paid from its wallet ledger; another wallet and an
// unrelated key get the 400 on `voice` another account gets; only the owner deletes it. On SQLite and PostgreSQL
// (money and ownership in the store: no sqlite-only marker). Bodies checked against the swagger.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { generatePrivateKey, type PrivateKeyAccount, privateKeyToAccount } from 'viem/accounts';
import { toNanos } from '../../src/services/billing/money.ts';
import { type ChatterboxDouble, startChatterboxDouble } from '../support/chatterbox-double.ts';
import { validateResponse } from '../support/spec/spec-validator.ts';
import { startRialto, type TestRialto } from '../support/start-rialto.ts';
import { toneWav } from '../support/tone-wav.ts';
import { evmSiwxHeader } from '../support/x402-siwx.ts';

const OPERATOR = '0x1111111111111111111111111111111111111111';
const TOKEN = '0x2222222222222222222222222222222222222222';
// $12 per million characters: a sentence costs a visible fraction of a cent.
const PRICE = 12;
const SAMPLE = toneWav(6);

const walletOf = (account: PrivateKeyAccount) => `eip155:${account.address.toLowerCase()}`;

for (const database of ['sqlite', 'postgres'] as const) {
  describe(`POST /audio/voices with a signed-in wallet on ${database}`, () => {
    let chatterbox: ChatterboxDouble;
    let rialto: TestRialto;
    const alice = privateKeyToAccount(generatePrivateKey());
    const bob = privateKeyToAccount(generatePrivateKey());

    const auth = async (who: PrivateKeyAccount | string): Promise<Record<string, string>> =>
      typeof who === 'string'
        ? { authorization: `Bearer ${who}` }
        : { 'SIGN-IN-WITH-X': await evmSiwxHeader(who, { origin: rialto.origin }) };
    const clone = async (who: PrivateKeyAccount | string): Promise<Response> => {
      const form = new FormData();
      form.set('model', 'tts-chatterbox-hd');
      form.set('file', new Blob([new Uint8Array(SAMPLE)]), 'reference-voice.wav');
      return fetch(`${rialto.baseURL}/audio/voices`, {
        method: 'POST',
        headers: await auth(who),
        body: form,
      });
    };
    const speak = async (who: PrivateKeyAccount | string, voice: string): Promise<Response> =>
      fetch(`${rialto.baseURL}/audio/speech`, {
        method: 'POST',
        headers: { ...(await auth(who)), 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'tts-chatterbox-hd', voice, input: 'Hello from a wallet.' }),
      });
    const remove = async (who: PrivateKeyAccount | string, id: string): Promise<Response> =>
      fetch(`${rialto.baseURL}/audio/voices/${id}`, { method: 'DELETE', headers: await auth(who) });
    const refusedVoice = async (response: Response): Promise<void> => {
      const body = (await response.json()) as Record<string, unknown>;
      assert.equal(response.status, 400, JSON.stringify(body));
      validateResponse({ method: 'POST', path: '/audio/speech', status: 400, body });
      assert.match(JSON.stringify(body), /does not exist or has expired/);
    };

    before(async () => {
      chatterbox = await startChatterboxDouble();
      rialto = await startRialto(
        {
          models: [
            {
              id: 'tts-chatterbox-hd',
              type: 'tts',
              engine: { kind: 'chatterbox', url: chatterbox.url },
              defaultFormat: 'wav',
              pricing: { input: { usd: PRICE, diem: PRICE }, output: { usd: 0, diem: 0 } },
            },
          ],
          wallets: {
            enabled: true,
            networks: [{ id: 'eip155:84532', token: { address: TOKEN }, payTo: OPERATOR }],
            // Never reached: the wallets are funded through the ledger (x402-top-up.test.ts pays for real).
            facilitator: { kind: 'url', url: 'http://127.0.0.1:9/' },
          },
        },
        { database },
      );
      for (const account of [alice, bob])
        await rialto.store.wallets.credit({
          wallet: walletOf(account),
          type: 'TOP_UP',
          amount: toNanos(1),
          idempotencyKey: `test:${randomUUID()}`,
          createdAt: new Date().toISOString(),
        });
    });
    after(async () => {
      await rialto?.close();
      await chatterbox?.close();
    });

    it('a wallet clones a voice (owned by its ledger id) and speaks with the handle, paid from its ledger', async () => {
      const created = await clone(alice);
      const body = (await created.json()) as { id: string; model: string };
      assert.equal(created.status, 200, JSON.stringify(body));
      validateResponse({ method: 'POST', path: '/audio/voices', status: 200, body });
      assert.match(body.id, /^vv_[0-9a-f]{32}$/);
      const [stored] = [...chatterbox.library.values()].slice(-1);
      assert.ok(stored?.sample.equals(SAMPLE));

      const speech = await speak(alice, body.id);
      assert.equal(speech.status, 200, await speech.clone().text());
      const audio = Buffer.from(await speech.arrayBuffer());
      validateResponse({
        method: 'POST',
        path: '/audio/speech',
        status: 200,
        contentType: 'audio/wav',
        body: audio,
      });
      assert.equal(
        chatterbox.speeches.at(-1)?.voiceUsed,
        stored?.name,
        'spoken in the cloned voice',
      );
      const { balance, reserved } = await rialto.store.wallets.balance(walletOf(alice));
      assert.equal(reserved, 0);
      assert.ok(balance < toNanos(1), `the wallet paid for the speech (balance ${balance})`);
    });

    it('another wallet and an unrelated key get the 400 on voice; only the owner deletes it', async () => {
      const { id } = (await (await clone(alice)).json()) as { id: string };
      const spoken = chatterbox.speeches.length;
      await refusedVoice(await speak(bob, id));
      await refusedVoice(await speak(rialto.inferenceKey, id));
      assert.equal(chatterbox.speeches.length, spoken, 'nothing reached the upstream');

      // Bob's own voice is his alone, and Alice's handle is not his to delete.
      const bobs = (await (await clone(bob)).json()) as { id: string };
      assert.match(bobs.id, /^vv_[0-9a-f]{32}$/);
      await refusedVoice(await speak(alice, bobs.id));
      assert.equal((await remove(bob, id)).status, 404);
      assert.equal((await remove(rialto.inferenceKey, id)).status, 404);
      const deleted = await remove(alice, id);
      assert.equal(deleted.status, 200, await deleted.clone().text());
      assert.deepEqual(await deleted.json(), { id, deleted: true });
      await refusedVoice(await speak(alice, id));
    });
  });
}
