import { Tokenizer } from '@huggingface/tokenizers';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { cleanInstruction } from './clean';

/**
 * Instruction → text-encoder inputs, with a real Hugging Face tokenizer.json (umT5's, or the generated tiny one)
 * read by @huggingface/tokenizers. Like the release (OFFICIAL.md §3): the text is cleaned (cleanInstruction), then
 * `tokenizer(text, padding='max_length', truncation=True, max_length=text_len, add_special_tokens=True)`: the
 * content is cut so that the template's `</s>` still fits last, then padded with `<pad>` (mask 0).
 */

export class TokenizerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TokenizerError';
  }
}

export interface TokenizerLimits {
  /** Rows of the encoder's embedding table; every id must be below it. */
  vocab: number;
  /** Sequence length of the encoder (`preset.text.textLen`, the release's `text_len`). */
  maxTokens: number;
}

export interface EncodedInstruction {
  /** [maxTokens] token ids, `<pad>` after the real tokens. */
  inputIds: BigInt64Array;
  /** [maxTokens] 1 for real tokens (including `</s>`), 0 for padding. */
  attentionMask: BigInt64Array;
  /** The real tokens as pieces, e.g. `▁walk ▁to ▁the ▁door </s>`. */
  tokens: string[];
  /** Real tokens (mask ones). */
  length: number;
  /** True when the instruction did not fit and its end was dropped (the template's tokens are kept). */
  truncated: boolean;
  /** Tokens the instruction needed, template included, before truncation. */
  fullLength: number;
}

export class InstructionTokenizer {
  readonly #tokenizer: Tokenizer;
  readonly #limits: TokenizerLimits;
  readonly #padId: number;

  private constructor(tokenizer: Tokenizer, limits: TokenizerLimits, source: string) {
    if (!Number.isInteger(limits.maxTokens) || limits.maxTokens < 2) {
      throw new TokenizerError(`maxTokens must be an integer ≥ 2, got ${limits.maxTokens}`);
    }
    if (!Number.isInteger(limits.vocab) || limits.vocab < 1) {
      throw new TokenizerError(`vocab must be a positive integer, got ${limits.vocab}`);
    }
    const padId = tokenizer.token_to_id('<pad>');
    if (padId === undefined)
      throw new TokenizerError(`${source} has no <pad> token (umT5's layout has <pad> = 0)`);
    this.#tokenizer = tokenizer;
    this.#limits = { ...limits };
    this.#padId = padId;
  }

  /** From a parsed tokenizer.json (and optionally tokenizer_config.json). */
  static fromJson(
    json: unknown,
    limits: TokenizerLimits,
    config: object = {},
    source = 'tokenizer.json',
  ): InstructionTokenizer {
    if (typeof json !== 'object' || json === null || !('model' in json)) {
      throw new TokenizerError(`${source} is not a Hugging Face tokenizer.json (no "model" field)`);
    }
    let tokenizer: Tokenizer;
    try {
      tokenizer = new Tokenizer(json, config);
    } catch (err) {
      throw new TokenizerError(`${source} could not be loaded: ${(err as Error).message}`);
    }
    return new InstructionTokenizer(tokenizer, limits, source);
  }

  /** Reads `path` (a tokenizer.json) and the tokenizer_config.json beside it when there is one. */
  static load(path: string, limits: TokenizerLimits): InstructionTokenizer {
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(path, 'utf8'));
    } catch (err) {
      throw new TokenizerError(`cannot read tokenizer ${path}: ${(err as Error).message}`);
    }
    const configPath = join(dirname(path), 'tokenizer_config.json');
    const config = existsSync(configPath) ? (JSON.parse(readFileSync(configPath, 'utf8')) as object) : {};
    return InstructionTokenizer.fromJson(json, limits, config, path);
  }

  get limits(): TokenizerLimits {
    return { ...this.#limits };
  }

  /** Cleans the instruction as the release does, then tokenizes, truncates and pads it. */
  encode(instruction: string): EncodedInstruction {
    const cleaned = cleanInstruction(instruction);
    if (cleaned === '') throw new TokenizerError('the instruction is empty');
    return this.#encode(cleaned);
  }

  /** The empty prompt of classifier-free guidance: the template's tokens only (umT5: `</s>`), then padding. */
  encodeUnconditional(): EncodedInstruction {
    return this.#encode('');
  }

  #encode(instruction: string): EncodedInstruction {
    const { maxTokens, vocab } = this.#limits;
    const full = this.#tokenizer.encode(instruction, { add_special_tokens: true });
    const content = this.#tokenizer.encode(instruction, { add_special_tokens: false });
    // The template adds a prefix and/or suffix around the content (umT5: suffix `</s>`); truncation keeps both.
    const prefix = indexOfRun(full.ids, content.ids);
    if (prefix < 0)
      throw new TokenizerError(`the tokenizer's template does not wrap the content of "${instruction}"`);
    const suffix = full.ids.length - prefix - content.ids.length;
    const room = maxTokens - prefix - suffix;
    if (room < 1)
      throw new TokenizerError(
        `maxTokens ${maxTokens} leaves no room after the template's ${prefix + suffix} tokens`,
      );
    const truncated = content.ids.length > room;
    const keep = (xs: readonly number[] | readonly string[]) =>
      truncated ? [...xs.slice(0, prefix + room), ...xs.slice(prefix + content.ids.length)] : [...xs];
    const ids = keep(full.ids) as number[];
    const tokens = keep(full.tokens) as string[];
    const inputIds = new BigInt64Array(maxTokens).fill(BigInt(this.#padId));
    const attentionMask = new BigInt64Array(maxTokens);
    ids.forEach((id, i) => {
      if (!Number.isInteger(id) || id < 0 || id >= vocab) {
        throw new TokenizerError(
          `token id ${id} ("${tokens[i]}") is outside the text encoder's vocabulary of ${vocab}: the tokenizer does not belong to this model`,
        );
      }
      inputIds[i] = BigInt(id);
      attentionMask[i] = 1n;
    });
    return { inputIds, attentionMask, tokens, length: ids.length, truncated, fullLength: full.ids.length };
  }

  /** Text of the real tokens of an encoding (special tokens and padding dropped), for logs and checks. */
  decode(encoded: Pick<EncodedInstruction, 'inputIds' | 'length'>): string {
    const ids = Array.from(encoded.inputIds.subarray(0, encoded.length), Number);
    return this.#tokenizer.decode(ids, { skip_special_tokens: true });
  }
}

/** Start of `run` inside `xs` (first occurrence), or -1. An empty run is found at 0. */
function indexOfRun(xs: readonly number[], run: readonly number[]): number {
  outer: for (let i = 0; i + run.length <= xs.length; i++) {
    for (let j = 0; j < run.length; j++) if (xs[i + j] !== run[j]) continue outer;
    return i;
  }
  return -1;
}
