import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parsePocketsphinxOutput } from './pocketsphinx-output.ts';

// pocketsphinx_continuous -time yes, two utterances (a LibriVox clip of pocketsphinx-testdata).
const OUTPUT = `He was not an illness closed young man
<s> 0.140 0.220 0.999700
he 0.230 0.330 0.993322
was(2) 0.340 0.560 0.993024
[SPEECH] 0.990 1.120 0.527464
man 2.350 2.800 0.753797
</s> 2.810 3.100 1.000000
he might
<s> 4.880 4.970 1.000300
<sil> 4.980 5.200 0.932853
he 5.210 5.370 0.999400
might 5.380 5.620 0.999300
</s> 8.010 8.270 1.000000
`;

describe('parsePocketsphinxOutput', () => {
  it('takes words from the timing lines, drops fillers and pronunciation variants, one segment per utterance', () => {
    assert.deepEqual(parsePocketsphinxOutput(OUTPUT), {
      words: [
        { word: 'he', start: 0.23, end: 0.34 },
        { word: 'was', start: 0.34, end: 0.57 },
        { word: 'man', start: 2.35, end: 2.81 },
        { word: 'he', start: 5.21, end: 5.38 },
        { word: 'might', start: 5.38, end: 5.63 },
      ],
      segments: [
        { text: 'he was man', start: 0.23, end: 2.81 },
        { text: 'he might', start: 5.21, end: 5.63 },
      ],
    });
  });

  it('finds nothing in the output of silence', () => {
    assert.deepEqual(parsePocketsphinxOutput(''), { words: [], segments: [] });
    assert.deepEqual(
      parsePocketsphinxOutput('<s> 0.000 0.500 1.0\n<sil> 0.510 0.900 1.0\n</s> 0.910 1.000 1.0\n'),
      { words: [], segments: [] },
    );
  });
});
