import { join } from 'node:path';
import type { ModelManifest } from '../../model/manifest';
import { InstructionTokenizer } from '../../model/text/tokenizer';
import type { InferenceEngine, TensorData } from '../engine/types';
import { allFinite } from '../noise';

/** An instruction as the video generator reads it. */
export interface EncodedText {
  /** [1, dit_text_len, dim] in the worker: the L real rows, then zeros (the DiT's `text`). */
  ditRef: string;
  /** [1, L, dim]: the trimmed rows (the history formers' language input, all valid). */
  trimmed: TensorData;
  tokens: number;
}

/** Instructions kept encoded; an episode uses one, a few cover switching back and forth. */
const CACHE_SIZE = 4;

/**
 * umT5 over an instruction, once per instruction: the release trims the encoder's output to its L real tokens, then
 * the DiT zero-pads it back to 512 rows while the formers take the L rows. Least recently used entries are evicted
 * (their worker tensors released), so a stream of distinct instructions does not grow memory.
 */
export class TextStage {
  readonly #manifest: ModelManifest;
  readonly #engine: InferenceEngine;
  readonly #tokenizer: InstructionTokenizer;
  readonly #cache = new Map<string, EncodedText>();
  #counter = 0;

  constructor(manifest: ModelManifest, engine: InferenceEngine, modelDir: string) {
    this.#manifest = manifest;
    this.#engine = engine;
    this.#tokenizer = InstructionTokenizer.load(join(modelDir, manifest.text.tokenizer), {
      vocab: manifest.text.vocab,
      maxTokens: manifest.text.text_len,
    });
  }

  /** The encoded instruction and whether it had to be computed now. */
  async encode(instruction: string): Promise<{ text: EncodedText; computed: boolean }> {
    const hit = this.#cache.get(instruction);
    if (hit) {
      this.#cache.delete(instruction);
      this.#cache.set(instruction, hit);
      return { text: hit, computed: false };
    }
    const text = await this.#run(instruction);
    this.#cache.set(instruction, text);
    while (this.#cache.size > CACHE_SIZE) {
      const [oldest, entry] = this.#cache.entries().next().value as [string, EncodedText];
      this.#cache.delete(oldest);
      await this.#engine.release([entry.ditRef]);
    }
    return { text, computed: true };
  }

  async #run(instruction: string): Promise<EncodedText> {
    const { text_len: len, dim, dit_text_len: ditLen } = this.#manifest.text;
    const encoded = this.#tokenizer.encode(instruction);
    const out = await this.#engine.run({
      network: 'text_encoder',
      feeds: {
        input_ids: { dtype: 'int64', dims: [1, len], data: encoded.inputIds },
        attention_mask: { dtype: 'int64', dims: [1, len], data: encoded.attentionMask },
      },
      fetch: ['text_embeddings'],
    });
    const rows = encoded.length;
    const full = out.outputs.text_embeddings!.data as Float32Array;
    const trimmed = full.slice(0, rows * dim);
    if (!allFinite(trimmed)) throw new Error('the text encoder produced non-finite embeddings');
    const ditRef = `text/${++this.#counter}`;
    await this.#engine.store(ditRef, padText(trimmed, rows, dim, ditLen));
    return { ditRef, trimmed: { dtype: 'float32', dims: [1, rows, dim], data: trimmed }, tokens: rows };
  }
}

/** The release's text for the DiT: the L trimmed rows, zero rows up to `rows`. */
export function padText(trimmed: Float32Array, tokens: number, dim: number, rows: number): TensorData {
  if (tokens > rows) throw new RangeError(`${tokens} text tokens do not fit the DiT's ${rows} rows`);
  const data = new Float32Array(rows * dim);
  data.set(trimmed.subarray(0, tokens * dim));
  return { dtype: 'float32', dims: [1, rows, dim], data };
}
