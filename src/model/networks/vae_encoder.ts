import type { NetworkBuilder, NetworkDefinition } from '../network';
import { GraphBuilder, type Tensor } from '../onnx/graph';
import {
  cast,
  concat,
  div,
  reshape,
  silu,
  slice,
  squeeze,
  sub,
  transpose,
  unsqueeze,
  where,
} from '../onnx/ops';
import { type ModelPreset, WAN_LATENT_MEAN, WAN_LATENT_STD } from '../presets';
import { downsample, midBlock, residualBlock } from './vae/blocks';
import {
  checkClipFrames,
  checkVaePreset,
  encoderDims,
  streamingMetadata,
  temporalStride,
  type VaeGraphOptions,
} from './vae/common';
import { causalConv3d, pointwiseConv3d, rmsNormChannels } from './vae/layers';
import { clipTemporal, streamTemporal, type Temporal } from './vae/temporal';

/**
 * Wan2.1 VAE encoder, streaming (SYSTEM.md §2.5). One call encodes one chunk: the first call takes frame 0 alone
 * (`first_chunk` = 1, caches zero), each later call the next 4 frames; every call returns one normalised chunk
 * latent (μ − mean)/std, μ being the first 16 channels of `quant_conv`, and the updated causal caches.
 *
 * Inputs: `frames` float32 [1, 3, T, H, W] in [−1, 1] (T = 1 first, 4 after), `first_chunk` int64 [1], and one
 * `cache_in.<layer>` per causal conv (see metadata). Outputs: `latent` float32 [1, 16, 1, H/8, W/8] and
 * `cache_out.<layer>`. A frame count that does not match `first_chunk` fails at run time in node
 * `frame_count_check/Concat…` (ORT names both counts); a wrong resolution fails at run time on the static H, W of `frames`; a
 * resolution that is not a multiple of the VAE stride fails at build time.
 * With `clipFrames` the graph encodes a whole clip of 1 + 4k frames to 1 + k latents in one call.
 */
export function buildVaeEncoderGraph(
  preset: ModelPreset,
  options: VaeGraphOptions,
): { graph: GraphBuilder; temporal: Temporal } {
  const name = 'vae_encoder';
  const latentGrid = checkVaePreset(preset, name);
  const stride = temporalStride(preset);
  if (options.clipFrames !== undefined) checkClipFrames(name, options.clipFrames, stride, 'frames');
  const { height, width } = preset.resolution;
  const z = preset.vae.zDim;
  const dims = encoderDims(preset);
  // Nominal frame counts of the dynamic frame dims: one steady chunk.
  const nominalDims: Record<string, number> = { frames: stride };
  for (let k = 2; k <= stride; k *= 2) nominalDims[`frames_div${k}`] = stride / k;
  const g = new GraphBuilder(name, { floatType: options.floatType, nominalDims });
  const t = options.clipFrames === undefined ? streamTemporal(g) : clipTemporal();
  const inputFrames = options.clipFrames ?? 'frames';
  const frames = g.input('frames', 'float32', [1, 3, inputFrames, height, width]);

  let x: Tensor = transpose(g, squeeze(g, frames, [0]), [1, 0, 2, 3]); // [T, 3, H, W]
  if (t.mode === 'stream') x = checkFrameCount(g, t, x, stride);
  x = cast(g, x, g.floatType);

  x = g.scope('encoder', () => {
    let y = causalConv3d(g, t, x, 'conv_in', 3, dims[0]!);
    let frameDim = y.shape[0]!;
    let halvings = 0;
    g.scope('down_blocks', () => {
      let index = 0;
      for (let i = 0; i + 1 < dims.length; i++) {
        let inDim = dims[i]!;
        const outDim = dims[i + 1]!;
        for (let r = 0; r < preset.vae.resBlocks; r++) {
          y = g.scope(index++, () => residualBlock(g, t, y, inDim, outDim));
          inDim = outDim;
        }
        if (i + 2 < dims.length) {
          const temporal = preset.vae.temporalDownsample[i]!;
          if (temporal) {
            halvings++;
            frameDim = typeof frameDim === 'number' ? 1 + (frameDim - 1) / 2 : `frames_div${2 ** halvings}`;
          }
          y = g.scope(index++, () => downsample(g, t, y, outDim, temporal, frameDim));
        }
      }
    });
    const top = dims[dims.length - 1]!;
    y = midBlock(g, t, y, top);
    y = silu(g, rmsNormChannels(g, y, 'norm_out', top));
    return causalConv3d(g, t, y, 'conv_out', top, 2 * z);
  });
  const moments = pointwiseConv3d(g, x, 'quant_conv', 2 * z, 2 * z); // [T', 32, h, w]: μ then log σ²
  const mu = cast(g, slice(g, moments, 1, 0, z), 'float32');
  const mean = g.constant(Float32Array.from(WAN_LATENT_MEAN), [1, z, 1, 1], 'float32', 'latent_mean');
  const std = g.constant(Float32Array.from(WAN_LATENT_STD), [1, z, 1, 1], 'float32', 'latent_std');
  let latent = unsqueeze(g, transpose(g, div(g, sub(g, mu, mean), std), [1, 0, 2, 3]), [0]); // [1, 16, T', h, w]
  if (t.mode === 'stream') latent = reshape(g, latent, [1, z, 1, latentGrid.height, latentGrid.width]);
  g.output(latent, 'latent');
  return { graph: g, temporal: t };
}

/**
 * Pins the frame count to 1 on the first chunk and `stride` after it: a Concat with zeros of the expected frame
 * count fails otherwise, in node `frame_count_check/Concat…` ("Axis 0 has mismatched dimensions of 4 and 2").
 * (A Reshape to the expected shape does not do: onnxruntime removed it as a no-op.)
 */
function checkFrameCount(g: GraphBuilder, t: Temporal, x: Tensor, stride: number): Tensor {
  return g.scope('frame_count_check', () => {
    const [, c, h, w] = x.shape as number[];
    const expected = where(g, t.first!, g.ints([1]), g.ints([stride]));
    const probe = g.node('ConstantOfShape', [concat(g, [expected, g.ints([1, h!, w!])], 0)], {
      shape: ['frames', 1, h!, w!],
      dtype: 'float32',
    })[0]!;
    const both = g.node(
      'Concat',
      [x, probe],
      { shape: ['frames', c! + 1, h!, w!], dtype: x.dtype },
      { axis: 1 },
    )[0]!;
    return slice(g, both, 1, 0, c!);
  });
}

export const buildVaeEncoder: NetworkBuilder = (preset, { floatType }): NetworkDefinition => {
  const { graph, temporal } = buildVaeEncoderGraph(preset, { floatType });
  return {
    key: 'vae_encoder',
    graph,
    description: `Wan2.1 VAE encoder, streaming: 1 frame then ${preset.chunkFrames} frames per call → one normalised chunk latent`,
    metadata: streamingMetadata(temporal, {
      inputs: { frames: '[1, 3, T, H, W] float32 in [-1, 1]' },
      outputs: { latent: '[1, 16, 1, H/8, W/8] float32, normalised (μ − mean)/std' },
      frames_per_call: { first: 1, steady: temporalStride(preset) },
    }),
  };
};
