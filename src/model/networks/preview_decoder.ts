import type { DType } from '../onnx/dtype';
import type { NetworkBuilder, NetworkDefinition } from '../network';
import { type Dim, GraphBuilder, type Tensor } from '../onnx/graph';
import { add, cast, mul, relu, reshape, squeeze, tanh, transpose, unsqueeze } from '../onnx/ops';
import type { ModelPreset } from '../presets';
import { checkVaePreset, temporalStride } from './vae/common';
import { conv2dLayer } from './vae/layers';
import { frameRange, padFrames } from './vae/temporal';

/**
 * Fast preview decoder in the style of TAEHV (SYSTEM.md §2.5; InSpatio-World uses one): decodes normalised Wan
 * latents straight to frames with 3×3 convs, "memory blocks" that also see their own input at the previous
 * timestep, nearest ×2 upsampling and 1×1 "TGrow" convs that turn channels into frames.
 *
 * Input `latent` float32 [1, 16, N, h, w] (N dynamic: one call for all chunks to preview). Output `frames` float32
 * [1, 3, 4N − 3, 8h, 8w] in [0, 1] (TAEHV's range; the first 3 raw frames are trimmed as TAEHV does, so latent 0
 * gives frame 0 and latent i ≥ 1 gives frames 4i − 3 … 4i). Parameter names follow TAEHV's `decoder.<index>`
 * nn.Sequential so its checkpoint (decoder part) loads 1:1: 0 Clamp, 1 conv, 2 ReLU, then per stage 3 MemBlocks,
 * Upsample, TGrow, conv; then ReLU, conv.
 */
export function buildPreviewDecoderGraph(preset: ModelPreset, options: { floatType: DType }): GraphBuilder {
  const name = 'preview_decoder';
  const grid = checkVaePreset(preset, name);
  const stride = temporalStride(preset);
  const c = preset.preview.channels;
  const widths = [4 * c, 2 * c, c, c];
  const stages = preset.vae.dimMult.length - 1; // spatial ×2 per stage, as many as the VAE has
  if (stages !== 3) throw new Error(`${name}: TAEHV layout has 3 upsampling stages, the VAE has ${stages}`);
  const timeStages = Math.log2(stride); // the last stages double the frames
  const nominalDims: Record<string, number> = { latent_frames: 1 };
  for (let k = 2; k <= stride; k *= 2) nominalDims[`frames_x${k}`] = k;
  const g = new GraphBuilder(name, { floatType: options.floatType, nominalDims });
  const z = preset.latentChannels;
  const input = g.input('latent', 'float32', [1, z, 'latent_frames', grid.height, grid.width]);

  let x: Tensor = cast(g, transpose(g, squeeze(g, input, [0]), [1, 0, 2, 3]), g.floatType); // [N, 16, h, w]
  x = g.scope('decoder', () => {
    let y = mul(g, tanh(g, mul(g, x, g.scalar(1 / 3))), g.scalar(3)); // 0: soft clamp to ±3
    y = relu(g, conv2dLayer(g, y, '1', z, widths[0]!, 3));
    let index = 3;
    let frames: Dim = 'latent_frames';
    let doublings = 0;
    for (let s = 0; s < stages; s++) {
      const width = widths[s]!;
      for (let m = 0; m < 3; m++) y = memBlock(g, y, String(index++), width);
      index++; // Upsample (no parameters)
      const [, , h, w] = y.shape as number[];
      const scales = g.constant(new Float32Array([1, 1, 2, 2]), [4], 'float32', 'scales');
      y = g.node(
        'Resize',
        [y, undefined, scales],
        { shape: [frames, width, 2 * h!, 2 * w!], dtype: y.dtype },
        { mode: 'nearest', coordinate_transformation_mode: 'asymmetric', nearest_mode: 'floor' },
      )[0]!;
      const grow = s >= stages - timeStages ? 2 : 1;
      y = g.scope(String(index++), () => conv2dLayer(g, y, 'conv', width, width * grow, 1, { bias: false }));
      if (grow > 1) {
        frames = `frames_x${2 ** ++doublings}`;
        y = { ...reshape(g, y, [-1, width, 2 * h!, 2 * w!]), shape: [frames, width, 2 * h!, 2 * w!] };
      }
      y = conv2dLayer(g, y, String(index++), width, widths[s + 1]!, 3, { bias: false });
    }
    y = relu(g, y);
    return conv2dLayer(g, y, String(index + 1), widths[stages]!, 3, 3);
  });
  const unit = g.node(
    'Clip',
    [
      cast(g, x, 'float32'),
      g.constant(new Float32Array([0]), [], 'float32'),
      g.constant(new Float32Array([1]), [], 'float32'),
    ],
    {
      shape: x.shape,
      dtype: 'float32',
    },
  )[0]!;
  const trimmed = stride > 1 ? frameRange(g, unit, stride - 1, 0, 1, 'frames') : unit;
  g.output(unsqueeze(g, transpose(g, trimmed, [1, 0, 2, 3]), [0]), 'frames'); // [1, 3, F, H, W]
  return g;
}

/** TAEHV MemBlock: ReLU(conv(ReLU(conv(ReLU(conv([x_t, x_{t−1}]))))) + x_t), with x_{−1} = 0. */
function memBlock(g: GraphBuilder, x: Tensor, name: string, width: number): Tensor {
  return g.scope(name, () => {
    const frames = x.shape[0]!;
    const previous = frameRange(g, padFrames(g, x, 1, 0, `${frames}+1`), 0, 1, 1, frames);
    const both = g.node(
      'Concat',
      [x, previous],
      { shape: [frames, 2 * width, ...x.shape.slice(2)], dtype: x.dtype },
      { axis: 1 },
    )[0]!;
    let y = g.scope('conv', () => relu(g, conv2dLayer(g, both, '0', 2 * width, width, 3)));
    y = g.scope('conv', () => relu(g, conv2dLayer(g, y, '2', width, width, 3)));
    y = g.scope('conv', () => conv2dLayer(g, y, '4', width, width, 3));
    return relu(g, add(g, y, x));
  });
}

export const buildPreviewDecoder: NetworkBuilder = (preset, { floatType }): NetworkDefinition => ({
  key: 'preview_decoder',
  graph: buildPreviewDecoderGraph(preset, { floatType }),
  description: 'TAEHV-style fast preview decoder: normalised latents [1, 16, N, h, w] → frames in [0, 1]',
  metadata: {
    inputs: { latent: '[1, 16, N, h, w] float32, normalised (N dynamic)' },
    outputs: { frames: '[1, 3, 4N − 3, 8h, 8w] float32 in [0, 1]' },
    frames_per_latent: temporalStride(preset),
    trimmed_leading_frames: temporalStride(preset) - 1,
    output_range: [0, 1],
  },
});
