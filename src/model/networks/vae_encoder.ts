import type { NetworkBuilder, NetworkDefinition } from '../network';
import { GraphBuilder, type Tensor } from '../onnx/graph';
import { cast, concat, mul, reshape, slice, squeeze, sub, transpose, unsqueeze, where } from '../onnx/ops';
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
import { encoder3d } from './vae/stacks';
import { clipTemporal, streamTemporal, type Temporal } from './vae/temporal';

/**
 * The release's `WanVAE.encode` (OFFICIAL.md §7), streaming. One call encodes one chunk: the first call takes
 * frame 0 alone (`first_chunk` = 1, caches zero), each later call the next 4 frames; every call returns one
 * normalised chunk latent (μ − mean)·(1/std), μ being the first 16 channels of the 1³ `conv1` after the encoder,
 * and the updated causal caches. A clip [f0, f0, f1, …] streamed this way gives `WanVAE.encode`'s latents.
 *
 * Inputs: `frames` float32 [1, 3, T, H, W] in [−1, 1] (T = 1 first, 4 after), `first_chunk` int64 [1], and one
 * `cache_in.<layer>` per causal conv (see metadata). Outputs: `latent` float32 [1, 16, 1, H/8, W/8] and
 * `cache_out.<layer>`. A frame count that does not match `first_chunk` fails at run time in node
 * `frame_count_check/Concat…` (ORT names both counts); a wrong resolution fails at run time on the static H, W of
 * `frames`; a resolution that is not a multiple of the VAE stride fails at build time.
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
  // Nominal frame counts of the dynamic frame dims: one steady chunk.
  const nominalDims: Record<string, number> = { frames: stride };
  for (let k = 2; k <= stride; k *= 2) nominalDims[`frames_div${k}`] = stride / k;
  const g = new GraphBuilder(name, { floatType: options.floatType, nominalDims });
  const t = options.clipFrames === undefined ? streamTemporal(g) : clipTemporal();
  const frames = g.input('frames', 'float32', [1, 3, options.clipFrames ?? 'frames', height, width]);

  let x: Tensor = transpose(g, squeeze(g, frames, [0]), [1, 0, 2, 3]); // [T, 3, H, W]
  if (t.mode === 'stream') x = checkFrameCount(g, t, x, stride);
  x = encoder3d(g, t, cast(g, x, g.floatType), preset.vae, (k, before) =>
    typeof before === 'number' ? 1 + (before - 1) / 2 : `frames_div${2 ** k}`,
  );
  const moments = pointwiseConv3d(g, x, 'conv1', 2 * z, 2 * z); // [T', 32, h, w]: μ then log σ² (unused)
  const mu = cast(g, slice(g, moments, 1, 0, z), 'float32');
  const { mean, invStd } = latentScale(g, z);
  let latent = unsqueeze(g, transpose(g, mul(g, sub(g, mu, mean), invStd), [1, 0, 2, 3]), [0]); // [1, 16, T', h, w]
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
    description: `Wan2.1 VAE encoder (the release's WanVAE), streaming: 1 frame then ${preset.chunkFrames} frames per call → one normalised chunk latent`,
    metadata: streamingMetadata(temporal, {
      inputs: { frames: '[1, 3, T, H, W] float32 in [-1, 1]' },
      outputs: { latent: '[1, 16, 1, H/8, W/8] float32, normalised (μ − mean)·(1/std)' },
      frames_per_call: { first: 1, steady: temporalStride(preset) },
    }),
  };
};
