import { strict as assert } from 'node:assert';
import { cleanInstruction, InstructionError, MAX_INSTRUCTION_CHARS } from '../../src/messages/instruction';

const refused = (raw: string, pattern: RegExp): void =>
  assert.throws(
    () => cleanInstruction(raw),
    (e: unknown) => e instanceof InstructionError && pattern.test(e.message),
  );

describe('instruction bounds', () => {
  it('keeps an ordinary instruction as it is, in any script', () => {
    for (const text of ['walk forward to find a wooden chair', '向前走，找到一把木椅子', 'geh zur Tür 🚪']) {
      assert.deepEqual(cleanInstruction(text), { text, removed: 0 });
    }
  });

  it('strips terminal escape sequences, control and bidi characters; line breaks become spaces', () => {
    assert.deepEqual(cleanInstruction('go \u001b[1;31mnow\u001b[0m'), { text: 'go now', removed: 2 });
    assert.deepEqual(cleanInstruction('\u001b]0;pwned\u0007go'), { text: 'go', removed: 1 });
    assert.deepEqual(cleanInstruction('go\u0000\u0008 left\u009b\u202e'), { text: 'go left', removed: 4 });
    assert.deepEqual(cleanInstruction('  walk\n\tforward\r\n '), { text: 'walk forward', removed: 0 });
  });

  it('refuses an empty, whitespace-only or control-only instruction', () => {
    refused('', /is empty/);
    refused(' \n\t ', /is empty/);
    refused('\u001b[2J\u0007', /only control or escape characters/);
  });

  it(`refuses more than ${MAX_INSTRUCTION_CHARS} characters, counting code points`, () => {
    assert.equal(cleanInstruction('a'.repeat(MAX_INSTRUCTION_CHARS)).text.length, MAX_INSTRUCTION_CHARS);
    refused('a'.repeat(MAX_INSTRUCTION_CHARS + 1), /1001 characters long; at most 1000/);
    refused('a'.repeat(20_000), /20000 characters long/);
    // 1000 emoji are 1000 characters (2000 UTF-16 units, 4000 bytes): accepted.
    assert.equal([...cleanInstruction('🚪'.repeat(1000)).text].length, 1000);
    refused('🚪'.repeat(1001), /1001 characters long/);
  });

  it('refuses an unpaired surrogate (no UTF-8 form)', () => {
    refused('go \ud800 left', /unpaired UTF-16 surrogate/);
    refused('go \udc00', /unpaired UTF-16 surrogate/);
    assert.equal(cleanInstruction('go 🚪').text, 'go 🚪');
  });
});
