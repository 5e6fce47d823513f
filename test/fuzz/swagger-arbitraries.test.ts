// The fuzzer's own checks, without a server: valid requests of every operation are valid by the swagger
// (as the oracle reads it), and a good share of the mutator's broken ones are not (or carry a key that must fail).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { mustFail } from './answer-check.ts';
import { profileOf, type FuzzWorld } from './fuzz-profiles.ts';
import { serialize } from './fuzz-request.ts';
import { brokenRequests, validRequests } from './request-arbitraries.ts';
import { DeepValue } from './schema-mutator.ts';
import { listOperations } from './swagger-operations.ts';

const WORLD: FuzzWorld = {
  assetOrigin: 'http://127.0.0.1:9',
  png: Buffer.from('png'),
  wav: Buffer.from('wav'),
  spareKeyId: 'spare',
  deletableKeyIds: ['gone'],
  characterSlug: 'hero',
  videoQueueId: '00000000-0000-4000-8000-000000000001',
  musicQueueId: '00000000-0000-4000-8000-000000000002',
  wallet: {
    address: '0x45B73055F3aDcC4577Bb709db10B19d11b5c94eE',
    other: '0x0000000000000000000000000000000000000001',
    siwxHeaders: ['c2l3eC0x', 'c2l3eC0y'],
    chainId: 84532,
    token: '0x0000000000000000000000000000000000000002',
    payTo: '0x0000000000000000000000000000000000000003',
  },
};

describe('swagger arbitraries', () => {
  it('reads all 49 operations of the swagger', () => {
    assert.equal(listOperations().length, 49);
  });

  for (const operation of listOperations()) {
    it(`valid requests of ${operation.id} are valid by the swagger; broken ones often are not`, () => {
      const profile = profileOf(operation, WORLD);
      for (const request of fc.sample(validRequests(operation, profile), {
        seed: 1,
        numRuns: 40,
      })) {
        assert.ok(request.accepted, `refused: ${fc.stringify(request)}`);
      }
      const broken = fc.sample(brokenRequests(operation, profile, false), { seed: 1, numRuns: 60 });
      const refused = broken.filter((request) => mustFail(request, profile)).length;
      // Nothing to break in a public operation without parameters or body (GET /image/styles): its "broken" requests are valid ones.
      const breakable =
        operation.bodies.size > 0 || operation.parameters.length > 0 || operation.auth === 'bearer';
      assert.ok(
        breakable ? refused >= broken.length / 3 : refused === 0,
        `${refused} of ${broken.length} broken requests are invalid by the swagger`,
      );
    });
  }

  it('writes JSON nested 10,000 deep, which JSON.stringify cannot', () => {
    const text = serialize({ a: new DeepValue(10_000, 'array') });
    assert.equal(text.length, '{"a":}'.length + 20_001);
    assert.equal(typeof JSON.parse(text), 'object');
  });
});
