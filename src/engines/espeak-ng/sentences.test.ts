import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { splitSentences } from './sentences.ts';

describe('splitSentences', () => {
  it('keeps the first sentence alone and joins the rest into pieces of at least minLength characters', () => {
    assert.deepEqual(splitSentences('Hello there. How are you? Fine! Thanks.\n\nBye.', 10), [
      'Hello there.',
      'How are you?',
      'Fine! Thanks.',
      'Bye.',
    ]);
    assert.deepEqual(splitSentences('One. Two. Three.'), ['One.', 'Two. Three.']);
  });

  it('input of white space only stays one piece', () => {
    assert.deepEqual(splitSentences('   '), ['   ']);
  });
});
