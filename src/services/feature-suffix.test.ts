import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { VeniceError } from '../errors/venice-error.ts';
import { parseFeatureSuffix } from './feature-suffix.ts';

function expectInvalid(suffix: string, detail: RegExp): void {
  assert.throws(
    () => parseFeatureSuffix(suffix),
    (error: unknown) => {
      assert.ok(error instanceof VeniceError);
      assert.equal(error.code, 'INVALID_REQUEST');
      assert.equal(error.status, 400);
      assert.match(JSON.stringify(error.toBody()), detail);
      return true;
    },
  );
}

describe('parseFeatureSuffix', () => {
  // docs/api-reference/endpoint/chat/model_feature_suffix.mdx and INVENTORY §2.4.
  it('parses the documented examples', () => {
    assert.deepEqual(parseFeatureSuffix('enable_web_search=on'), { enable_web_search: 'on' });
    assert.deepEqual(parseFeatureSuffix('strip_thinking_response=true'), {
      strip_thinking_response: true,
    });
    assert.deepEqual(parseFeatureSuffix('disable_thinking=true'), { disable_thinking: true });
    assert.deepEqual(parseFeatureSuffix('enable_web_search=auto&enable_web_citations=true'), {
      enable_web_search: 'auto',
      enable_web_citations: true,
    });
    assert.deepEqual(parseFeatureSuffix('character_slug=venice'), { character_slug: 'venice' });
    assert.deepEqual(
      parseFeatureSuffix('include_venice_system_prompt=false&enable_web_scraping=true'),
      { include_venice_system_prompt: false, enable_web_scraping: true },
    );
    assert.deepEqual(
      parseFeatureSuffix(
        'enable_web_search=on&include_search_results_in_stream=true&return_search_results_as_documents=true',
      ),
      {
        enable_web_search: 'on',
        include_search_results_in_stream: true,
        return_search_results_as_documents: true,
      },
    );
  });

  it('an empty suffix and empty pairs give nothing', () => {
    assert.deepEqual(parseFeatureSuffix(''), {});
    assert.deepEqual(parseFeatureSuffix('&&disable_thinking=false&'), { disable_thinking: false });
  });

  it('URL-decodes names and values', () => {
    assert.deepEqual(parseFeatureSuffix('character_slug=alan%20watts'), {
      character_slug: 'alan watts',
    });
    assert.deepEqual(parseFeatureSuffix('character_slug=a+b'), { character_slug: 'a b' });
    assert.deepEqual(parseFeatureSuffix('character_slug=x%26y%3Dz'), { character_slug: 'x&y=z' });
    assert.deepEqual(parseFeatureSuffix('strip%5Fthinking%5Fresponse=true'), {
      strip_thinking_response: true,
    });
  });

  it('a malformed escape is taken literally rather than thrown', () => {
    assert.deepEqual(parseFeatureSuffix('character_slug=100%'), { character_slug: '100%' });
  });

  it('refuses unknown keys and bad values with a 400', () => {
    expectInvalid('nope=1', /Unrecognized key\(s\) in object: 'nope'/);
    expectInvalid('enable_web_search=sometimes', /enable_web_search/);
    expectInvalid('strip_thinking_response=yes', /strip_thinking_response/);
    expectInvalid('disable_thinking=1', /disable_thinking/);
  });
});
