import type { ModelManifest } from '../model/manifest';
import type { TimeNs } from '../messages/time';
import type { Feed, InferenceEngine } from './engine/types';

/** One camera frame at the model's resolution and rate: [3, H, W] RGB in [-1, 1]. */
export interface ModelFrame {
  stampNs: TimeNs;
  data: Float32Array;
}

interface CacheSlot {
  input: string;
  output: string;
  shape: number[];
}

/**
 * Drives the streaming Wan VAE encoder: the first chunk is frame 0 alone, every later chunk the next 4 frames,
 * and the causal caches of every conv stay in the inference worker between calls — nothing is re-encoded.
 */
export class ChunkEncoder {
  readonly #engine: InferenceEngine;
  readonly #caches: CacheSlot[];
  readonly #steadyFrames: number;
  readonly #height: number;
  readonly #width: number;
  #pending: ModelFrame[] = [];
  #started = false;

  constructor(manifest: ModelManifest, engine: InferenceEngine) {
    const entry = manifest.networks.vae_encoder;
    const meta = entry?.metadata as
      { caches?: CacheSlot[]; frames_per_call?: { steady?: number } } | undefined;
    if (!meta?.caches) throw new Error('vae_encoder in model.json lacks streaming metadata (caches)');
    this.#engine = engine;
    this.#caches = meta.caches;
    this.#steadyFrames = meta.frames_per_call?.steady ?? manifest.chunk_frames;
    this.#height = manifest.resolution.height;
    this.#width = manifest.resolution.width;
  }

  /** Frames still waiting for the next chunk to fill. */
  get pendingFrames(): number {
    return this.#pending.length;
  }

  /** Adds one frame; returns the normalised chunk latent [16, h, w] when a chunk is complete. */
  async push(frame: ModelFrame): Promise<Float32Array | undefined> {
    const expected = 3 * this.#height * this.#width;
    if (frame.data.length !== expected) {
      throw new RangeError(
        `frame at ${frame.stampNs} ns has ${frame.data.length} values, the encoder needs 3×${this.#height}×${this.#width}`,
      );
    }
    this.#pending.push(frame);
    const needed = this.#started ? this.#steadyFrames : 1;
    if (this.#pending.length < needed) return undefined;
    const frames = this.#pending.splice(0, needed);
    const first = !this.#started;
    const feeds: Record<string, Feed> = {
      frames: {
        dtype: 'float32',
        dims: [1, 3, frames.length, this.#height, this.#width],
        data: stackFrames(frames, this.#height * this.#width),
      },
      first_chunk: { dtype: 'int64', dims: [1], data: BigInt64Array.from([first ? 1n : 0n]) },
    };
    const keep: Record<string, string> = {};
    for (const c of this.#caches) {
      feeds[c.input] = first
        ? { dtype: 'float32', dims: c.shape, data: new Float32Array(c.shape.reduce((a, b) => a * b, 1)) }
        : { ref: `vae/${c.output}` };
      keep[c.output] = `vae/${c.output}`;
    }
    const out = await this.#engine.run({ network: 'vae_encoder', feeds, keep, fetch: ['latent'] });
    this.#started = true;
    return out.outputs.latent!.data as Float32Array;
  }

  /** Starts a new stream: the next frame is encoded alone with zero caches. */
  async reset(): Promise<void> {
    this.#pending = [];
    if (this.#started) await this.#engine.release(this.#caches.map((c) => `vae/${c.output}`));
    this.#started = false;
  }
}

/** T frames of [3, H, W] → [3, T, H, W] (the video layout of the encoder's input). */
function stackFrames(frames: readonly ModelFrame[], plane: number): Float32Array {
  const t = frames.length;
  const out = new Float32Array(3 * t * plane);
  frames.forEach((f, i) => {
    for (let c = 0; c < 3; c++) out.set(f.data.subarray(c * plane, (c + 1) * plane), (c * t + i) * plane);
  });
  return out;
}
