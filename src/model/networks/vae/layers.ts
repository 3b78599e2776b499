import { type Dim, type GraphBuilder, normal, ones, ShapeError, type Tensor, zeros } from '../../onnx/graph';
import { cast, div, mul, reduceMean, reshape, sqrt, transpose } from '../../onnx/ops';
import {
  cacheInput,
  cacheOutput,
  catFrames,
  frameRange,
  lastFrames,
  padFrames,
  type Temporal,
} from './temporal';

/**
 * Layers of the release's Wan2.1 VAE (OFFICIAL.md §7) on frames-first activations [F, C, H, W]. Parameters keep
 * the names and 5-D shapes of `Wan2.1_VAE.pth` ([O, I, kt, kh, kw]); the graph reshapes the 3-D kernels into 2-D
 * ones, because a 3-D Conv is slow and a 3-D ConvTranspose fails on the WebGPU execution provider.
 */

export interface Conv2dSpec {
  kernel: [number, number];
  stride?: number;
  /** [top, left, bottom, right] */
  pads?: [number, number, number, number];
}

/** A 2-D Conv with a given weight [O, I, kh, kw] (any provenance) and bias [O]; counts its MACs. */
export function convWith(
  g: GraphBuilder,
  x: Tensor,
  weight: Tensor,
  bias: Tensor | undefined,
  spec: Conv2dSpec,
): Tensor {
  const [f, c, h, w] = x.shape as [Dim, number, number, number];
  const [o, i, kh, kw] = weight.shape as number[];
  if (x.shape.length !== 4 || c !== i) {
    throw new ShapeError(
      `${g.scopeName}/Conv`,
      `input [${x.shape.join(', ')}] does not fit weight [${weight.shape.join(', ')}]`,
    );
  }
  const stride = spec.stride ?? 1;
  const [pt, pl, pb, pr] = spec.pads ?? [0, 0, 0, 0];
  const ho = Math.floor((h + pt + pb - kh!) / stride) + 1;
  const wo = Math.floor((w + pl + pr - kw!) / stride) + 1;
  g.addMacs([f, o!, ho, wo, i!, kh!, kw!]);
  // onnxruntime-node 1.30's WebGPU Conv miscomputes some input widths that are not multiples of 4 (measured here
  // on lavapipe: 6, 9, 18, 27 wrong; 3, 4, 5, 7, 12 right), e.g. the 3 stacked RGB taps of conv_in. Zero channels
  // on input and weight make the width a multiple of 4 without changing the result.
  const extra = c > 4 && c % 4 !== 0 ? 4 - (c % 4) : 0;
  if (extra) {
    const pads = [0, 0, 0, 0, 0, extra, 0, 0];
    x = g.node(
      'Pad',
      [x, g.ints(pads)],
      { shape: [f, c + extra, h, w], dtype: x.dtype },
      { mode: 'constant' },
    )[0]!;
    weight = g.node(
      'Pad',
      [weight, g.ints(pads)],
      { shape: [o!, c + extra, kh!, kw!], dtype: weight.dtype },
      { mode: 'constant' },
    )[0]!;
  }
  return g.node(
    'Conv',
    [x, weight, bias],
    { shape: [f, o!, ho, wo], dtype: x.dtype },
    { kernel_shape: [kh!, kw!], strides: [stride, stride], pads: [pt, pl, pb, pr] },
  )[0]!;
}

function convParams(g: GraphBuilder, shape: number[], bias: boolean): { weight: Tensor; bias?: Tensor } {
  const fanIn = shape.slice(1).reduce((a, b) => a * b, 1);
  const weight = g.param('weight', shape, normal(Math.sqrt(1 / fanIn)));
  return bias ? { weight, bias: g.param('bias', [shape[0]!], zeros) } : { weight };
}

/** An nn.Conv2d with checkpoint parameters `name.weight` [O, I, k, k] and `name.bias`. */
export function conv2dLayer(
  g: GraphBuilder,
  x: Tensor,
  name: string,
  inChannels: number,
  outChannels: number,
  kernel: number,
  spec: { stride?: number; pads?: [number, number, number, number]; bias?: boolean } = {},
): Tensor {
  return g.scope(name, () => {
    const p = convParams(g, [outChannels, inChannels, kernel, kernel], spec.bias ?? true);
    const pad = Math.floor(kernel / 2);
    return convWith(g, x, p.weight, p.bias, {
      kernel: [kernel, kernel],
      stride: spec.stride,
      pads: spec.pads ?? [pad, pad, pad, pad],
    });
  });
}

/**
 * Wan's CausalConv3d with a 1×1×1 kernel (shortcuts, quant convs): a per-frame 1×1 conv. Parameters keep the
 * 5-D checkpoint shape [O, I, 1, 1, 1].
 */
export function pointwiseConv3d(
  g: GraphBuilder,
  x: Tensor,
  name: string,
  inChannels: number,
  outChannels: number,
): Tensor {
  return g.scope(name, () => {
    const p = convParams(g, [outChannels, inChannels, 1, 1, 1], true);
    const w2 = reshape(g, p.weight, [outChannels, inChannels, 1, 1]);
    return convWith(g, x, w2, p.bias, { kernel: [1, 1] });
  });
}

/**
 * Wan's CausalConv3d 3×3×3 with temporal padding (2, 0): output frame t sees input frames t−2, t−1, t.
 * The three temporal taps are stacked on channels, [F, 3·C, H, W], so one 2-D conv with the kernel reshaped to
 * [O, 3·C, 3, 3] computes it. In stream mode the two frames before the call come from the cache (zeros on the
 * first call, which equals Wan's zero padding) and the last two frames of the padded input become the new cache.
 */
export function causalConv3d(
  g: GraphBuilder,
  t: Temporal,
  x: Tensor,
  name: string,
  inChannels: number,
  outChannels: number,
): Tensor {
  return g.scope(name, () => {
    const frames = x.shape[0]!;
    const padded = typeof frames === 'number' ? frames + 2 : `${frames}+2`;
    let past: Tensor;
    if (t.mode === 'stream') {
      const cache = cacheInput(g, t, 2, x, 'causal_conv');
      past = catFrames(g, [cache, x], padded);
      cacheOutput(g, t, lastFrames(g, past, 2));
    } else {
      past = padFrames(g, x, 2, 0, padded);
    }
    const taps = [0, 1, 2].map((k) => frameRange(g, past, k, 2 - k, 1, frames));
    const stacked = g.node(
      'Concat',
      taps,
      { shape: [frames, 3 * inChannels, ...x.shape.slice(2)], dtype: x.dtype },
      { axis: 1 },
    )[0]!;
    const p = convParams(g, [outChannels, inChannels, 3, 3, 3], true);
    // [O, I, kt, kh, kw] → [O, kt, I, kh, kw] → [O, kt·I, kh, kw], matching the tap order of `stacked`.
    const w2 = reshape(g, transpose(g, p.weight, [0, 2, 1, 3, 4]), [outChannels, 3 * inChannels, 3, 3]);
    return convWith(g, stacked, w2, p.bias, { kernel: [3, 3], pads: [1, 1, 1, 1] });
  });
}

/**
 * Wan's RMS_norm over channels: F.normalize(x, dim=1)·√C·γ = x / max(√mean(x²), 1e-12/√C) · γ. Computed in fp32
 * (a sum of squares over hundreds of channels overflows fp16). γ has the checkpoint shape [C, 1, 1, 1] for the
 * 3-D norms and [C, 1, 1] for the attention's 2-D norm.
 */
export function rmsNormChannels(
  g: GraphBuilder,
  x: Tensor,
  name: string,
  channels: number,
  images = false,
): Tensor {
  return g.scope(name, () => {
    const gamma = g.param('gamma', images ? [channels, 1, 1] : [channels, 1, 1, 1], ones);
    const xf = cast(g, x, 'float32');
    const meanSquare = reduceMean(g, mul(g, xf, xf), [1]);
    const floor = g.constant(new Float32Array([1e-12 / Math.sqrt(channels)]), [], 'float32', 'rms_eps');
    const rms = g.node('Max', [sqrt(g, meanSquare), floor], {
      shape: meanSquare.shape,
      dtype: 'float32',
    })[0]!;
    g.addMacs([...x.shape], 3);
    const normed = cast(g, div(g, xf, rms), x.dtype);
    return mul(g, normed, images ? gamma : reshape(g, gamma, [channels, 1, 1]));
  });
}
