// Default file names of the tts families: Kokoro's lexicons in the order sherpa-onnx's examples give them.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { lexicons } from './sherpa-onnx-files.ts';

describe('sherpa-onnx default lexicons', () => {
  it('kokoro-multi-lang-v1_0: American English first, British left out, then Chinese', () => {
    const folder = [
      'model.onnx',
      'lexicon-zh.txt',
      'lexicon-gb-en.txt',
      'lexicon-us-en.txt',
      'tokens.txt',
    ];
    assert.equal(lexicons(folder), 'lexicon-us-en.txt,lexicon-zh.txt');
  });
  it('a single lexicon.txt (matcha, vits) or none', () => {
    assert.equal(lexicons(['lexicon.txt', 'model.onnx']), 'lexicon.txt');
    assert.equal(lexicons(['lexicon-gb-en.txt']), 'lexicon-gb-en.txt');
    assert.equal(lexicons(['model.onnx']), undefined);
  });
});
