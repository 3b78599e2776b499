import type { DType } from '../../onnx/dtype';
import { type GraphBuilder, ShapeError, type Tensor } from '../../onnx/graph';
import type { ModelPreset } from '../../presets';
import { WAN_LATENT_MEAN, WAN_LATENT_STD } from '../../presets';
import type { Temporal } from './temporal';

export interface VaeGraphOptions {
  floatType: DType;
  /**
   * Build the whole-clip variant instead of the streaming one: this many frames (encoder: 1 + 4k) or latents
   * (decoder) in one call, no caches. Same parameters and results as streaming the clip chunk by chunk.
   */
  clipFrames?: number;
}

/**
 * The release's latent scale [mean, 1/std] as [1, 16, 1, 1] float32 constants. 1/std is rounded to float32 like
 * the release's tensor, so encode ((μ − mean)·(1/std)) and decode (z / (1/std) + mean) round as it does.
 */
export function latentScale(g: GraphBuilder, z: number): { mean: Tensor; invStd: Tensor } {
  const invStd = Float32Array.from(WAN_LATENT_STD, (s) => 1 / Math.fround(s));
  return {
    mean: g.constant(Float32Array.from(WAN_LATENT_MEAN), [1, z, 1, 1], 'float32', 'latent_mean'),
    invStd: g.constant(invStd, [1, z, 1, 1], 'float32', 'latent_inv_std'),
  };
}

/** Frames per latent after the first: 2 per temporal resampling stage (Wan: 4). */
export function temporalStride(preset: ModelPreset): number {
  return 2 ** preset.vae.temporalDownsample.filter(Boolean).length;
}

/** Checks the preset's VAE numbers against each other and the resolution; returns the latent grid. */
export function checkVaePreset(
  preset: ModelPreset,
  network: string,
): { height: number; width: number; stride: number } {
  const { height, width } = preset.resolution;
  const stages = preset.vae.dimMult.length;
  const stride = 2 ** (stages - 1);
  if (preset.vae.temporalDownsample.length !== stages - 1) {
    throw new ShapeError(
      network,
      `temporalDownsample needs ${stages - 1} entries (one per downsampling stage), got ${preset.vae.temporalDownsample.length}`,
    );
  }
  if (temporalStride(preset) !== preset.chunkFrames) {
    throw new ShapeError(
      network,
      `the VAE's temporal stride ${temporalStride(preset)} ≠ preset.chunkFrames ${preset.chunkFrames}`,
    );
  }
  if (!Number.isInteger(height / stride) || !Number.isInteger(width / stride) || height <= 0 || width <= 0) {
    throw new ShapeError(
      network,
      `resolution ${height}×${width} is not a positive multiple of the VAE stride ${stride}`,
    );
  }
  if (preset.vae.zDim !== preset.latentChannels || WAN_LATENT_MEAN.length !== preset.vae.zDim) {
    throw new ShapeError(
      network,
      `latent channels: vae.zDim ${preset.vae.zDim}, latentChannels ${preset.latentChannels}, ${WAN_LATENT_MEAN.length} normalisation constants`,
    );
  }
  return { height: height / stride, width: width / stride, stride };
}

export function checkClipFrames(network: string, clipFrames: number, stride: number, what: string): void {
  if (
    !Number.isInteger(clipFrames) ||
    clipFrames < 1 ||
    (what === 'frames' && (clipFrames - 1) % stride !== 0)
  ) {
    const rule = what === 'frames' ? `1 + ${stride}k frames` : 'at least 1 latent';
    throw new ShapeError(network, `a clip needs ${rule}, got ${clipFrames}`);
  }
}

/** Runtime-facing description of a streaming graph, recorded in the manifest. */
export function streamingMetadata(t: Temporal, extra: Record<string, unknown>): Record<string, unknown> {
  return {
    mode: t.mode === 'stream' ? 'stream' : 'clip',
    ...(t.mode === 'stream'
      ? {
          first_chunk_input: 'first_chunk',
          first_chunk_rule: 'int64 [1]: 1 on the first call of a stream (feed zero caches), 0 afterwards',
          cache_layout:
            '[frames, channels, height, width] in the graph float type; zeros before the first call',
          caches: t.caches.map((c) => ({ ...c })),
        }
      : {}),
    latent_mean: [...WAN_LATENT_MEAN],
    latent_std: [...WAN_LATENT_STD],
    ...extra,
  };
}
