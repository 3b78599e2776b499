import type { NetworkBuilder, NetworkDefinition } from '../network';
import { GraphBuilder } from '../onnx/graph';
import { add, cast, div, squeeze, transpose, unsqueeze } from '../onnx/ops';
import type { ModelPreset } from '../presets';
import {
  checkClipFrames,
  checkVaePreset,
  latentScale,
  streamingMetadata,
  temporalStride,
  type VaeGraphOptions,
} from './vae/common';
import { pointwiseConv3d } from './vae/layers';
import { decoder3d } from './vae/stacks';
import { clipTemporal, streamTemporal, type Temporal } from './vae/temporal';

/**
 * The release's `WanVAE.decode` (OFFICIAL.md §7), streaming. One call decodes one normalised chunk latent: the
 * first call (`first_chunk` = 1, caches zero) gives 1 frame, each later call 4 frames, carrying the causal caches
 * between calls like the release's chunk loop; frames are clamped to [−1, 1]. Single-chunk preview of a
 * non-contiguous (sparse) chunk = one call with `first_chunk` = 1 and zero caches, ignoring the cache outputs: the
 * latent is decoded as if it started a video.
 *
 * Inputs: `latent` float32 [1, 16, 1, h, w] (normalised, as the DiT produces it), `first_chunk` int64 [1], one
 * `cache_in.<layer>` per causal layer. Outputs: `frames` float32 [1, 3, F, 8h, 8w] in [−1, 1] (F = 1 or 4) and
 * `cache_out.<layer>`. A wrong latent size fails at run time on the static input shape.
 * With `clipFrames` the graph decodes L latents to 1 + 4(L − 1) frames in one call.
 */
export function buildVaeDecoderGraph(
  preset: ModelPreset,
  options: VaeGraphOptions,
): { graph: GraphBuilder; temporal: Temporal } {
  const name = 'vae_decoder';
  const grid = checkVaePreset(preset, name);
  const stride = temporalStride(preset);
  if (options.clipFrames !== undefined) checkClipFrames(name, options.clipFrames, stride, 'latents');
  const z = preset.vae.zDim;
  const nominalDims: Record<string, number> = {};
  for (let k = 2; k <= stride; k *= 2) nominalDims[`frames_x${k}`] = k;
  const g = new GraphBuilder(name, { floatType: options.floatType, nominalDims });
  const t = options.clipFrames === undefined ? streamTemporal(g) : clipTemporal();
  const latents = options.clipFrames ?? 1;
  const input = g.input('latent', 'float32', [1, z, latents, grid.height, grid.width]);

  // Undo the normalisation as the release does, z / (1/std) + mean, then the 1³ `conv2`.
  const { mean, invStd } = latentScale(g, z);
  const raw = add(g, div(g, transpose(g, squeeze(g, input, [0]), [1, 0, 2, 3]), invStd), mean); // [L, 16, h, w]
  const x = pointwiseConv3d(g, cast(g, raw, g.floatType), 'conv2', z, z);
  const rgb = decoder3d(g, t, x, preset.vae, (k, before) =>
    t.mode === 'stream' ? `frames_x${2 ** k}` : 1 + ((before as number) - 1) * 2,
  );
  const clamped = g.node(
    'Clip',
    [
      cast(g, rgb, 'float32'),
      g.constant(new Float32Array([-1]), [], 'float32'),
      g.constant(new Float32Array([1]), [], 'float32'),
    ],
    { shape: rgb.shape, dtype: 'float32' },
  )[0]!;
  g.output(unsqueeze(g, transpose(g, clamped, [1, 0, 2, 3]), [0]), 'frames'); // [1, 3, F, H, W]
  return { graph: g, temporal: t };
}

export const buildVaeDecoder: NetworkBuilder = (preset, { floatType }): NetworkDefinition => {
  const { graph, temporal } = buildVaeDecoderGraph(preset, { floatType });
  return {
    key: 'vae_decoder',
    graph,
    description: `Wan2.1 VAE decoder (the release's WanVAE), streaming: one latent per call → 1 frame first, then ${preset.chunkFrames} frames`,
    metadata: streamingMetadata(temporal, {
      inputs: { latent: '[1, 16, 1, h, w] float32, normalised' },
      outputs: { frames: '[1, 3, F, 8h, 8w] float32 in [-1, 1]' },
      frames_per_call: { first: 1, steady: temporalStride(preset) },
      preview: 'decode one sparse chunk alone: first_chunk = 1, zero caches, ignore cache outputs',
    }),
  };
};
