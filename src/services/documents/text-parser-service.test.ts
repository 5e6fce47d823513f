import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Billing, BillingRequest } from '../billing/meter.ts';
import type { Cost } from '../pricing.ts';
import { parserConfig } from '../../config/parser-config.ts';
import { VeniceError } from '../../errors/venice-error.ts';
import { ParserPool } from '../parsers/parser-pool.ts';
import { parseDocument } from './text-parser-service.ts';

const PRICE: Cost = { usd: 0.01, diem: 0.01 };

/** A Billing that records what is reserved, settled and released. */
function recordingBilling(): { billing: Billing; events: unknown[] } {
  const events: unknown[] = [];
  const billing: Billing = {
    admit: async () => {
      throw new Error('the text parser reserves at once');
    },
    reserve: async (request: BillingRequest) => {
      events.push({
        reserve: request.modelId,
        modelType: request.modelType,
        limitClass: request.limitClass,
        worstCase: request.worstCase,
        privacy: request.privacy,
      });
      return {
        currency: 'USD',
        settle: async (usage, cost, status) => void events.push({ settle: cost, usage, status }),
        release: async (status) => void events.push({ release: status }),
      };
    },
    reserveDurable: () => Promise.reject(new Error('not used')),
  };
  return { billing, events };
}

describe('parseDocument', () => {
  const parsers = new ParserPool(parserConfig.parse(undefined));
  after(() => parsers.close());

  it('answers the text and its token estimate, and charges the flat price once', async () => {
    const { billing, events } = recordingBilling();
    const parsed = await parseDocument(
      { bytes: Buffer.from('sixteen bytes ok'), filename: 'a.txt' },
      billing,
      PRICE,
      new AbortController().signal,
      parsers,
    );
    assert.deepEqual(parsed, { text: 'sixteen bytes ok', tokens: 4 });
    assert.deepEqual(events, [
      {
        reserve: 'augment-text-parser',
        modelType: 'augment',
        limitClass: 'S',
        worstCase: PRICE,
        privacy: 'private',
      },
      { settle: PRICE, usage: { promptTokens: 0, completionTokens: 0 }, status: 'completed' },
    ]);
  });

  it('releases the reservation when nothing can be extracted, and rethrows the 400', async () => {
    const { billing, events } = recordingBilling();
    await assert.rejects(
      parseDocument(
        { bytes: Buffer.alloc(0) },
        billing,
        PRICE,
        new AbortController().signal,
        parsers,
      ),
      (error: unknown) => error instanceof VeniceError && error.code === 'NO_TEXT_CONTENT',
    );
    assert.deepEqual(events.slice(1), [{ release: 'failed' }]);
  });
});
