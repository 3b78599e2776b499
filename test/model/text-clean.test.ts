import { strict as assert } from 'node:assert';
import { cleanInstruction } from '../../src/model/text/clean';

/**
 * Expected values are what the release's cleaning gives in Python (ftfy 6.3.1 fix_text, html.unescape twice,
 * strip, `\s+` → ' ', strip), recorded once from that code.
 */
const CASES: [string, string][] = [
  ['  turn\tleft   at the\n wooden door &amp; stop  ', 'turn left at the wooden door & stop'],
  ['go to the caf\u00c3\u00a9 and stop', 'go to the café and stop'],
  ['caf\u00c3\u00a9 and C\u00c3\u00b4te', 'café and Côte'],
  ['\ufb01nd the \u201cred\u201d chair', 'find the "red" chair'],
  ['\uff27\uff4f\u3000\uff4c\uff45\uff46\uff54', 'Go left'],
  ['walk &amp;amp;amp; stop', 'walk & stop'],
  ['a < b &amp;amp; c', 'a < b & c'],
  ['\u001b[31mred\u001b[0m door', 'red door'],
  ['stop\u0085now\r\nthen', 'stop\u2026now then'],
  ['door\u0000\u0007 \ufeffside', 'door side'],
  ['don\u2019t stop', "don't stop"],
  ['&ampx; &lt;tag&gt; &#39;hi&#39; &#x41;', "&x; <tag> 'hi' A"],
  ['\u00c4 and \u00e9 stay', '\u00c4 and \u00e9 stay'],
  ['l\u0092arbre', "l'arbre"],
  ['e\u0301', '\u00e9'],
];

describe('instruction cleaning (the release: ftfy.fix_text, html.unescape ×2, whitespace)', () => {
  for (const [input, expected] of CASES) {
    it(`${JSON.stringify(input)} → ${JSON.stringify(expected)}`, () => {
      assert.equal(cleanInstruction(input), expected);
    });
  }
});
