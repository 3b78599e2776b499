import type { ModelManifest } from '../model/manifest';
import type { TimeNs } from '../messages/time';
import type { Feed, InferenceEngine, TensorData } from './engine/types';

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

type VaeNetwork = 'vae_encoder' | 'vae_decoder';

/**
 * One stream through the streaming Wan VAE (encoder or decoder), as the release's chunk loop runs it: the first call
 * takes one frame (or latent) with zero caches, every later call the next chunk, and the causal caches of every conv
 * stay in the inference worker between calls under this stream's own names — so several clips (the history, the
 * reference) can be open at once without touching each other.
 */
export class VaeStream {
  readonly #engine: InferenceEngine;
  readonly #network: VaeNetwork;
  readonly #caches: CacheSlot[];
  readonly #prefix: string;
  #started = false;

  constructor(manifest: ModelManifest, engine: InferenceEngine, network: VaeNetwork, name: string) {
    const meta = manifest.networks[network]?.metadata as { caches?: CacheSlot[] } | undefined;
    if (!meta?.caches) throw new Error(`${network} in model.json lacks streaming metadata (caches)`);
    this.#engine = engine;
    this.#network = network;
    this.#caches = meta.caches;
    this.#prefix = `${name}/`;
  }

  get started(): boolean {
    return this.#started;
  }

  /** Runs one call: `input` is `frames` [1, 3, T, H, W] for the encoder or `latent` [1, 16, 1, h, w] for the decoder. */
  async next(input: TensorData): Promise<TensorData> {
    const first = !this.#started;
    const feeds: Record<string, Feed> = {
      [this.#network === 'vae_encoder' ? 'frames' : 'latent']: input,
      first_chunk: { dtype: 'int64', dims: [1], data: BigInt64Array.from([first ? 1n : 0n]) },
    };
    const keep: Record<string, string> = {};
    for (const c of this.#caches) {
      feeds[c.input] = first
        ? { dtype: 'float32', dims: c.shape, data: new Float32Array(c.shape.reduce((a, b) => a * b, 1)) }
        : { ref: this.#prefix + c.output };
      keep[c.output] = this.#prefix + c.output;
    }
    const output = this.#network === 'vae_encoder' ? 'latent' : 'frames';
    const out = await this.#engine.run({ network: this.#network, feeds, keep, fetch: [output] });
    this.#started = true;
    return out.outputs[output]!;
  }

  /** Ends the stream: the next call starts a new clip with zero caches. */
  async reset(): Promise<void> {
    if (this.#started) await this.#engine.release(this.#caches.map((c) => this.#prefix + c.output));
    this.#started = false;
  }
}

/** T frames of [3, H, W] → [1, 3, T, H, W] (the video layout of the encoder's input). */
export function stackFrames(frames: readonly ModelFrame[], height: number, width: number): TensorData {
  const plane = height * width;
  const t = frames.length;
  const out = new Float32Array(3 * t * plane);
  frames.forEach((f, i) => {
    if (f.data.length !== 3 * plane) {
      throw new RangeError(
        `frame at ${f.stampNs} ns has ${f.data.length} values, the encoder needs 3×${height}×${width}`,
      );
    }
    for (let c = 0; c < 3; c++) out.set(f.data.subarray(c * plane, (c + 1) * plane), (c * t + i) * plane);
  });
  return { dtype: 'float32', dims: [1, 3, t, height, width], data: out };
}

/**
 * Encodes one clip as the release does: the first frame duplicated in front (T → 1 + T frames), fresh caches, and
 * the duplicate's latent dropped, so each 4 frames give exactly one latent. Returns [C, T/4, h, w].
 */
export async function encodeClip(
  stream: VaeStream,
  frames: readonly ModelFrame[],
  chunkFrames: number,
  size: { height: number; width: number },
): Promise<Float32Array> {
  if (frames.length === 0 || frames.length % chunkFrames) {
    throw new RangeError(`a clip needs a multiple of ${chunkFrames} frames, got ${frames.length}`);
  }
  await stream.reset();
  await stream.next(stackFrames([frames[0]!], size.height, size.width));
  const latents: Float32Array[] = [];
  for (let i = 0; i < frames.length; i += chunkFrames) {
    latents.push(
      (await stream.next(stackFrames(frames.slice(i, i + chunkFrames), size.height, size.width)))
        .data as Float32Array,
    );
  }
  await stream.reset();
  return stackLatents(latents, CHANNELS);
}

const CHANNELS = 16;

/** Per-chunk latents [C, 1, h, w] → [C, T, h, w]. */
export function stackLatents(latents: readonly Float32Array[], channels: number): Float32Array {
  const t = latents.length;
  const perChunk = latents[0]?.length ?? 0;
  const plane = perChunk / channels;
  const out = new Float32Array(t * perChunk);
  latents.forEach((l, i) => {
    for (let c = 0; c < channels; c++) out.set(l.subarray(c * plane, (c + 1) * plane), (c * t + i) * plane);
  });
  return out;
}
