import { writeFileSync } from 'node:fs';

/**
 * A small but real Hugging Face tokenizer.json in umT5's layout: a Unigram model, a Metaspace pre-tokenizer, a
 * template post-processor that appends `</s>`, and the T5 special ids `<pad>` = 0, `</s>` = 1, `<unk>` = 2.
 *
 * The tiny preset uses it as is (exactly `preset.text.vocab` pieces). For the full preset the model directory should
 * get umT5's own tokenizer.json (`svnav build-model --tokenizer PATH`, e.g. `google/umt5-xxl`'s or the `tokenizer/`
 * folder of Wan2.1-T2V-1.3B-Diffusers): with real weights only the real vocabulary gives meaningful ids. Without
 * one, this vocabulary padded to 256384 entries is acceptable for benchmarks with seeded weights — the encoder's
 * cost does not depend on which ids it sees.
 */

export const PAD_PIECE = '<pad>';
export const EOS_PIECE = '</s>';
export const UNK_PIECE = '<unk>';
/** SentencePiece's word-boundary marker. */
export const METASPACE = '\u2581';

/** Whole words an instruction to a walking robot is likely to use; each is one piece. */
const NAVIGATION_WORDS = `
walk go move head turn rotate forward forwards backward backwards back ahead straight left right around stop halt
wait stay slowly quickly carefully then and until after before when while next to the a an of in into on onto at by
through past toward towards along across between behind front side up down over under near far away from
find search look locate reach approach enter exit leave follow pass cross climb descend keep continue face return
door doorway doors chair chairs table tables stairs staircase step steps hallway corridor room kitchen bedroom
bathroom office lobby elevator window wall corner entrance floor sofa couch bed desk shelf cabinet fridge sink plant
plants trash bin box person people dog cat car bike bench tree trees grass road path sidewalk street crosswalk
parking lot building gate fence pole sign light lamp red blue green yellow white black brown gray orange big small
large open closed first second third last other this that it there here is are you your me please robot goal
target object meters meter metres metre steps seconds few one two three four five ten hundred end
`
  .trim()
  .split(/\s+/);

/** Printable ASCII, so that any English text tokenizes without `<unk>`. */
const SINGLE_CHARACTERS = Array.from({ length: 0x7e - 0x21 + 1 }, (_, i) => String.fromCharCode(0x21 + i));

// Unigram picks the segmentation with the highest total score: whole words beat spelling them out, and the
// `<extra_id_N>` fillers (T5's sentinel names) never win over real pieces.
const SCORE_WORD = -5;
const SCORE_METASPACE = -8;
const SCORE_CHARACTER = -10;
const SCORE_FILLER = -30;

export interface TokenizerJson {
  version: string;
  added_tokens: Record<string, unknown>[];
  normalizer: Record<string, unknown> | null;
  pre_tokenizer: Record<string, unknown> | null;
  post_processor: Record<string, unknown> | null;
  decoder: Record<string, unknown> | null;
  model: { type: 'Unigram'; unk_id: number; vocab: [string, number][]; byte_fallback: boolean };
  [key: string]: unknown;
}

/** The fixed pieces before the navigation words: specials, `▁`, printable ASCII. */
export const TINY_TOKENIZER_BASE_PIECES = 3 + 1 + SINGLE_CHARACTERS.length;

/**
 * The vocabulary of exactly `vocab` pieces: specials, `▁`, single characters, `▁`-prefixed navigation words (as
 * many as fit), then `<extra_id_N>` fillers. Deterministic: the same `vocab` gives the same list.
 */
export function tinyVocabulary(vocab: number): [string, number][] {
  if (!Number.isInteger(vocab) || vocab < TINY_TOKENIZER_BASE_PIECES) {
    throw new Error(
      `tiny tokenizer vocabulary must be an integer ≥ ${TINY_TOKENIZER_BASE_PIECES}, got ${vocab}`,
    );
  }
  const pieces: [string, number][] = [
    [PAD_PIECE, 0],
    [EOS_PIECE, 0],
    [UNK_PIECE, 0],
    [METASPACE, SCORE_METASPACE],
    ...SINGLE_CHARACTERS.map((c): [string, number] => [c, SCORE_CHARACTER]),
  ];
  const seen = new Set(pieces.map(([p]) => p));
  for (const word of NAVIGATION_WORDS) {
    const piece = METASPACE + word;
    if (pieces.length === vocab) break;
    if (seen.has(piece)) continue;
    seen.add(piece);
    // Slightly decreasing scores keep the ranking total and the file stable.
    pieces.push([piece, SCORE_WORD - pieces.length * 1e-4]);
  }
  for (let i = 0; pieces.length < vocab; i++) pieces.push([`<extra_id_${i}>`, SCORE_FILLER]);
  return pieces;
}

function specialToken(id: number, content: string): Record<string, unknown> {
  return { id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true };
}

/** The tokenizer.json object (see the module comment). */
export function tinyTokenizerJson(vocab: number): TokenizerJson {
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [specialToken(0, PAD_PIECE), specialToken(1, EOS_PIECE), specialToken(2, UNK_PIECE)],
    // SentencePiece's normalisation in short: NFKC, runs of whitespace become one space, no outer whitespace.
    normalizer: {
      type: 'Sequence',
      normalizers: [
        { type: 'NFKC' },
        { type: 'Replace', pattern: { Regex: '\\s+' }, content: ' ' },
        { type: 'Strip', strip_left: true, strip_right: true },
      ],
    },
    pre_tokenizer: { type: 'Metaspace', replacement: METASPACE, prepend_scheme: 'always', split: true },
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: EOS_PIECE, type_id: 0 } }],
      pair: [
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: EOS_PIECE, type_id: 0 } },
        { Sequence: { id: 'B', type_id: 0 } },
        { SpecialToken: { id: EOS_PIECE, type_id: 0 } },
      ],
      special_tokens: { [EOS_PIECE]: { id: EOS_PIECE, ids: [1], tokens: [EOS_PIECE] } },
    },
    decoder: { type: 'Metaspace', replacement: METASPACE, prepend_scheme: 'always', split: true },
    model: { type: 'Unigram', unk_id: 2, vocab: tinyVocabulary(vocab), byte_fallback: false },
  };
}

/** Writes the generated tokenizer.json (the coordinator's model-directory writer calls this). */
export function writeTinyTokenizer(path: string, vocab: number): void {
  writeFileSync(path, JSON.stringify(tinyTokenizerJson(vocab)) + '\n');
}
