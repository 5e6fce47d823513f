import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { huggingFaceEndpoint, isHuggingFaceUrl, parseModelSource } from './model-source.ts';

const noEnvironment = {};

describe('parseModelSource', () => {
  it('takes the file name from an http(s) URL path, URL-decoded', () => {
    assert.deepEqual(
      parseModelSource(
        'https://example.com/models/My%20Model.Q4_K_M.gguf?download=1',
        noEnvironment,
      ),
      {
        url: 'https://example.com/models/My%20Model.Q4_K_M.gguf?download=1',
        fileName: 'My Model.Q4_K_M.gguf',
      },
    );
  });

  it('maps hf:owner/repo/path to the resolve URL on main', () => {
    assert.deepEqual(
      parseModelSource('hf:Qwen/Qwen3-0.6B-GGUF/sub dir/model.gguf', noEnvironment),
      {
        url: 'https://huggingface.co/Qwen/Qwen3-0.6B-GGUF/resolve/main/sub%20dir/model.gguf',
        fileName: 'model.gguf',
      },
    );
  });

  it('uses the revision after @', () => {
    const source = parseModelSource('hf:owner/repo@v1.2/model.gguf', noEnvironment);
    assert.equal(source.url, 'https://huggingface.co/owner/repo/resolve/v1.2/model.gguf');
  });

  it('honours RIALTO_HF_ENDPOINT over HF_ENDPOINT, without trailing slashes', () => {
    const environment = {
      RIALTO_HF_ENDPOINT: 'http://127.0.0.1:9999/mirror/',
      HF_ENDPOINT: 'http://other',
    };
    assert.equal(
      parseModelSource('hf:a/b/c.gguf', environment).url,
      'http://127.0.0.1:9999/mirror/a/b/resolve/main/c.gguf',
    );
    assert.equal(
      huggingFaceEndpoint({ HF_ENDPOINT: 'https://hf-mirror.com' }),
      'https://hf-mirror.com',
    );
    assert.equal(isHuggingFaceUrl('http://127.0.0.1:9999/x', environment), true);
    assert.equal(isHuggingFaceUrl('https://huggingface.co/x', environment), false);
  });

  it('rejects path traversal in every form', () => {
    const attempts = [
      'hf:a/b/../../x.gguf',
      'hf:a/b/./x.gguf',
      'hf:a/b//x.gguf',
      'hf:a/b/dir/..',
      'hf:a/b/x..gguf',
      'hf:a/b/..\\x.gguf',
      'http://h/%2e%2e%2fx.gguf',
      'http://h/a/..%2F..%2Fx.gguf',
      'http://h/a/%5c..%5cx.gguf',
      'http://h/..',
    ];
    for (const attempt of attempts) {
      assert.throws(() => parseModelSource(attempt, noEnvironment), Error, attempt);
    }
  });

  it('strips control characters from a URL file name', () => {
    assert.equal(parseModelSource('https://h/a%00b%0A.gguf', noEnvironment).fileName, 'ab.gguf');
  });

  it('rejects other sources with a clear message', () => {
    for (const source of [
      'ftp://h/x.gguf',
      './model.gguf',
      'hf:owner',
      'hf:owner/repo',
      'hf:a/b@x@y/c.gguf',
      'https://h/dir/',
    ]) {
      assert.throws(
        () => parseModelSource(source, noEnvironment),
        /Unsupported|Invalid|file name/,
        source,
      );
    }
    assert.throws(() => huggingFaceEndpoint({ RIALTO_HF_ENDPOINT: 'file:///tmp' }), /http\(s\)/);
  });
});
