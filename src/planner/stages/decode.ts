import type { ModelManifest } from '../../model/manifest';
import type { InferenceEngine } from '../engine/types';
import { VaeStream } from '../vae-stream';
import { NonFiniteOutput } from './video';

/** Decoded video: `frames` RGB frames, each height × width × 3 bytes (HWC). */
export interface DecodedVideo {
  frames: Uint8Array[];
  height: number;
  width: number;
}

/**
 * Decodes the first `count` latents of [C, T, h, w] as one clip, as the release decodes its output: latent 0 gives
 * 1 frame, each later latent 4 (so the sparse future chunks are decoded as if consecutive), values mapped with
 * ((x + 1)·127.5) clamped to [0, 255] and truncated to uint8.
 */
export async function decodeLatents(
  engine: InferenceEngine,
  manifest: ModelManifest,
  latents: Float32Array,
  count: number,
): Promise<DecodedVideo> {
  const { channels, height: h, width: w } = manifest.latent;
  const total = latents.length / (channels * h * w);
  if (!Number.isInteger(total) || count > total)
    throw new RangeError(`cannot decode ${count} of ${total} latents`);
  const stream = new VaeStream(manifest, engine, 'vae_decoder', 'decode');
  const plane = h * w;
  const frames: Uint8Array[] = [];
  let size = { height: 0, width: 0 };
  try {
    for (let t = 0; t < count; t++) {
      const one = new Float32Array(channels * plane);
      for (let c = 0; c < channels; c++)
        one.set(latents.subarray((c * total + t) * plane, (c * total + t + 1) * plane), c * plane);
      const out = await stream.next({ dtype: 'float32', dims: [1, channels, 1, h, w], data: one });
      const [, , f, height, width] = out.dims as [number, number, number, number, number];
      size = { height, width };
      for (let i = 0; i < f; i++)
        frames.push(rgbFrame(out.data as Float32Array, i, f, height * width, frames.length));
    }
  } finally {
    await stream.reset();
  }
  return { frames, ...size };
}

/**
 * Frame i of [1, 3, F, H, W] in [−1, 1] → HWC uint8, the release's mapping (truncation, not rounding). A
 * non-finite value is refused (NonFiniteOutput, naming frame `clipIndex` of the clip, channel and pixel): the
 * network failed, and a picture made of it would be read as motion by the geometric source.
 */
export function rgbFrame(
  data: Float32Array,
  i: number,
  frames: number,
  plane: number,
  clipIndex = i,
): Uint8Array {
  const out = new Uint8Array(plane * 3);
  for (let c = 0; c < 3; c++) {
    const base = (c * frames + i) * plane;
    for (let p = 0; p < plane; p++) {
      const x = data[base + p]!;
      if (!Number.isFinite(x)) {
        throw new NonFiniteOutput(
          `decoded frame ${clipIndex} has a non-finite value ${x} in channel ${c} at pixel ${p}`,
        );
      }
      const v = Math.fround(Math.fround(x + 1) * 127.5); // float32, as torch computes it
      out[p * 3 + c] = v <= 0 ? 0 : v >= 255 ? 255 : Math.trunc(v);
    }
  }
  return out;
}
