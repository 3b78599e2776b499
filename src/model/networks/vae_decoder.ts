import type { NetworkBuilder, NetworkDefinition } from '../network';
import { type Dim, GraphBuilder } from '../onnx/graph';
import { add, cast, mul, silu, squeeze, transpose, unsqueeze } from '../onnx/ops';
import { type ModelPreset, WAN_LATENT_MEAN, WAN_LATENT_STD } from '../presets';
import { midBlock, residualBlock, upsample } from './vae/blocks';
import {
  checkClipFrames,
  checkVaePreset,
  decoderDims,
  streamingMetadata,
  temporalStride,
  type VaeGraphOptions,
} from './vae/common';
import { causalConv3d, pointwiseConv3d, rmsNormChannels } from './vae/layers';
import { clipTemporal, streamTemporal, type Temporal } from './vae/temporal';

/**
 * Wan2.1 VAE decoder, streaming (SYSTEM.md §2.5). One call decodes one normalised chunk latent: the first call
 * (`first_chunk` = 1, caches zero) gives 1 frame, each later call 4 frames, carrying the causal caches between
 * calls like Wan's chunk loop. Single-chunk preview of a non-contiguous (sparse) chunk = one call with
 * `first_chunk` = 1 and zero caches, ignoring the cache outputs: the latent is decoded as if it started a video.
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
  const dims = decoderDims(preset);
  const upsampleInTime = [...preset.vae.temporalDownsample].reverse();
  const nominalDims: Record<string, number> = {};
  for (let k = 2; k <= stride; k *= 2) nominalDims[`frames_x${k}`] = k;
  const g = new GraphBuilder(name, { floatType: options.floatType, nominalDims });
  const t = options.clipFrames === undefined ? streamTemporal(g) : clipTemporal();
  const latents = options.clipFrames ?? 1;
  const input = g.input('latent', 'float32', [1, z, latents, grid.height, grid.width]);

  // Undo the normalisation: z·std + mean, then post_quant_conv.
  const mean = g.constant(Float32Array.from(WAN_LATENT_MEAN), [1, z, 1, 1], 'float32', 'latent_mean');
  const std = g.constant(Float32Array.from(WAN_LATENT_STD), [1, z, 1, 1], 'float32', 'latent_std');
  const raw = add(g, mul(g, transpose(g, squeeze(g, input, [0]), [1, 0, 2, 3]), std), mean); // [L, 16, h, w]
  let x = pointwiseConv3d(g, cast(g, raw, g.floatType), 'post_quant_conv', z, z);

  x = g.scope('decoder', () => {
    let y = causalConv3d(g, t, x, 'conv_in', z, dims[0]!);
    y = midBlock(g, t, y, dims[0]!);
    let frameDim: Dim = latents;
    let doublings = 0;
    g.scope('up_blocks', () => {
      for (let i = 0; i + 1 < dims.length; i++) {
        g.scope(i, () => {
          let inDim = i > 0 ? dims[i]! / 2 : dims[i]!;
          const outDim = dims[i + 1]!;
          g.scope('resnets', () => {
            for (let r = 0; r <= preset.vae.resBlocks; r++) {
              y = g.scope(r, () => residualBlock(g, t, y, inDim, outDim));
              inDim = outDim;
            }
          });
          if (i + 2 < dims.length) {
            const temporal = upsampleInTime[i]!;
            if (temporal) {
              doublings++;
              frameDim =
                t.mode === 'stream' ? `frames_x${2 ** doublings}` : 1 + ((frameDim as number) - 1) * 2;
            }
            y = g.scope('upsamplers', () => g.scope(0, () => upsample(g, t, y, outDim, temporal, frameDim)));
          }
        });
      }
    });
    const last = dims[dims.length - 1]!;
    y = silu(g, rmsNormChannels(g, y, 'norm_out', last));
    return causalConv3d(g, t, y, 'conv_out', last, 3);
  });
  const clamped = g.node(
    'Clip',
    [
      cast(g, x, 'float32'),
      g.constant(new Float32Array([-1]), [], 'float32'),
      g.constant(new Float32Array([1]), [], 'float32'),
    ],
    {
      shape: x.shape,
      dtype: 'float32',
    },
  )[0]!;
  g.output(unsqueeze(g, transpose(g, clamped, [1, 0, 2, 3]), [0]), 'frames'); // [1, 3, F, H, W]
  return { graph: g, temporal: t };
}

export const buildVaeDecoder: NetworkBuilder = (preset, { floatType }): NetworkDefinition => {
  const { graph, temporal } = buildVaeDecoderGraph(preset, { floatType });
  return {
    key: 'vae_decoder',
    graph,
    description: `Wan2.1 VAE decoder, streaming: one latent per call → 1 frame first, then ${preset.chunkFrames} frames`,
    metadata: streamingMetadata(temporal, {
      inputs: { latent: '[1, 16, 1, h, w] float32, normalised' },
      outputs: { frames: '[1, 3, F, 8h, 8w] float32 in [-1, 1]' },
      frames_per_call: { first: 1, steady: temporalStride(preset) },
      preview: 'decode one sparse chunk alone: first_chunk = 1, zero caches, ignore cache outputs',
    }),
  };
};
