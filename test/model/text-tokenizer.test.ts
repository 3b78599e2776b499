import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  TINY_TOKENIZER_BASE_PIECES,
  tinyTokenizerJson,
  tinyVocabulary,
  writeTinyTokenizer,
} from '../../src/model/text/tiny-tokenizer';
import { InstructionTokenizer, TokenizerError } from '../../src/model/text/tokenizer';

/** The generated tokenizer at 512 pieces, 16 positions (sizes of these tests, independent of the presets). */
const limits = { vocab: 512, maxTokens: 16 };
const tiny = () => InstructionTokenizer.fromJson(tinyTokenizerJson(512), limits);

describe('text tokenizer', () => {
  describe('generated tiny tokenizer.json', () => {
    it('has exactly the requested number of pieces with <pad> = 0, </s> = 1, <unk> = 2', () => {
      const vocab = tinyVocabulary(512);
      assert.equal(vocab.length, 512);
      assert.deepEqual(
        vocab.slice(0, 4).map(([p]) => p),
        ['<pad>', '</s>', '<unk>', '\u2581'],
      );
      assert.equal(new Set(vocab.map(([p]) => p)).size, vocab.length, 'pieces are unique');
      const json = tinyTokenizerJson(512);
      assert.equal(json.model.type, 'Unigram');
      assert.equal(json.model.unk_id, 2);
      assert.equal(json.pre_tokenizer?.type, 'Metaspace');
      assert.equal(json.post_processor?.type, 'TemplateProcessing');
    });

    it('is deterministic and pads to the full umT5 vocabulary of 256384', () => {
      assert.equal(JSON.stringify(tinyTokenizerJson(512)), JSON.stringify(tinyTokenizerJson(512)));
      const full = tinyVocabulary(256_384);
      assert.equal(full.length, 256_384);
      const real = tinyVocabulary(512).filter(([p]) => !p.startsWith('<extra_id_'));
      assert.deepEqual(
        full.slice(0, real.length),
        real,
        'the same pieces at the same ids, fillers after them',
      );
      const fullTokenizer = InstructionTokenizer.fromJson(tinyTokenizerJson(256_384), {
        vocab: 256_384,
        maxTokens: 512,
      });
      const e = fullTokenizer.encode('walk to the door');
      assert.deepEqual([...e.inputIds.subarray(0, 6)].map(Number), [98, 129, 130, 176, 1, 0]);
      assert.equal(e.inputIds.length, 512);
    });

    it('refuses a vocabulary too small for the specials and single characters', () => {
      assert.throws(
        () => tinyVocabulary(TINY_TOKENIZER_BASE_PIECES - 1),
        /vocabulary must be an integer ≥ 98, got 97/,
      );
    });
  });

  describe('encoding an instruction', () => {
    it('turns "walk to the door" into ▁walk ▁to ▁the ▁door </s>, then <pad> with mask 0', () => {
      const tk = tiny();
      const e = tk.encode('walk to the door');
      assert.deepEqual(e.tokens, ['\u2581walk', '\u2581to', '\u2581the', '\u2581door', '</s>']);
      const ids = [98, 129, 130, 176, 1];
      assert.deepEqual([...e.inputIds].map(Number), [...ids, ...new Array(11).fill(0)]);
      assert.deepEqual([...e.attentionMask].map(Number), [1, 1, 1, 1, 1, ...new Array(11).fill(0)]);
      const vocab = tinyVocabulary(512).map(([p]) => p);
      assert.deepEqual(
        ids.map((i) => vocab[i]),
        e.tokens,
        'ids index the vocabulary',
      );
      assert.equal(e.length, 5);
      assert.equal(e.truncated, false);
      assert.equal(tk.decode(e), 'walk to the door');
    });

    it('normalises whitespace and spells out words it does not know, with <unk> for unknown characters', () => {
      const tk = tiny();
      assert.deepEqual(
        tk.encode('  walk \t to   the door ').inputIds,
        tk.encode('walk to the door').inputIds,
      );
      assert.deepEqual(tk.encode('Go').tokens, ['\u2581', 'G', 'o', '</s>']);
      assert.deepEqual([...tk.encode('\u00fc').inputIds.subarray(0, 3)].map(Number), [3, 2, 1]);
    });

    it('truncates a long instruction to maxTokens, keeps </s> last and flags it', () => {
      const tk = tiny();
      const words =
        'go forward and turn left at the next door then find the red chair near the table and stop';
      const e = tk.encode(words);
      assert.equal(e.truncated, true);
      assert.equal(e.length, 16);
      assert.equal(e.fullLength, 20);
      assert.equal(e.tokens[15], '</s>');
      assert.equal(e.inputIds[15], 1n);
      assert.ok(e.attentionMask.every((m) => m === 1n));
      assert.deepEqual(e.tokens.slice(0, 3), ['\u2581go', '\u2581forward', '\u2581and']);
      const fits = tk.encode(words.split(' ').slice(0, 15).join(' '));
      assert.equal(fits.truncated, false);
      assert.equal(fits.length, 16);
    });

    it('rejects an empty instruction', () => {
      const tk = tiny();
      for (const text of ['', '   \n\t'])
        assert.throws(
          () => tk.encode(text),
          (e: Error) => e instanceof TokenizerError && /instruction is empty/.test(e.message),
        );
    });

    it('names the id and the vocabulary size when a token falls outside the embedding table', () => {
      const small = InstructionTokenizer.fromJson(tinyTokenizerJson(512), { vocab: 100, maxTokens: 16 });
      assert.equal(small.encode('walk').length, 2); // ▁walk = 98 fits
      assert.throws(
        () => small.encode('walk to the door'),
        /token id 129 \("▁to"\) is outside the text encoder's vocabulary of 100/,
      );
    });
  });

  describe('loading', () => {
    let dir: string;
    before(() => (dir = mkdtempSync(join(tmpdir(), 'svnav-tok-'))));
    after(() => rmSync(dir, { recursive: true, force: true }));

    it('reads a written tokenizer.json and encodes like the in-memory one', () => {
      const path = join(dir, 'tokenizer.json');
      writeTinyTokenizer(path, 512);
      assert.deepEqual(JSON.parse(readFileSync(path, 'utf8')), tinyTokenizerJson(512));
      const e = InstructionTokenizer.load(path, limits).encode('turn right at the stairs');
      assert.deepEqual(e.inputIds, tiny().encode('turn right at the stairs').inputIds);
    });

    it('reports a missing file, a file that is not a tokenizer, and a tokenizer without <pad>', () => {
      assert.throws(
        () => InstructionTokenizer.load(join(dir, 'nope.json'), limits),
        /cannot read tokenizer .*nope\.json/,
      );
      const bad = join(dir, 'bad.json');
      writeFileSync(bad, '{"vocab": []}');
      assert.throws(
        () => InstructionTokenizer.load(bad, limits),
        /bad\.json is not a Hugging Face tokenizer\.json/,
      );
      const json = tinyTokenizerJson(512);
      json.model.vocab[0] = ['<nothing>', 0];
      json.added_tokens = json.added_tokens.slice(1);
      assert.throws(() => InstructionTokenizer.fromJson(json, limits), /has no <pad> token/);
    });

    it('refuses limits that leave no room for a token', () => {
      assert.throws(
        () => InstructionTokenizer.fromJson(tinyTokenizerJson(512), { vocab: 512, maxTokens: 1 }),
        /maxTokens must be an integer ≥ 2, got 1/,
      );
    });
  });
});
