import { type Dim, type GraphBuilder, normal, ShapeError, type Tensor, zeros } from '../../onnx/graph';
import { add, matmul, mul, reshape, silu, softmax, splitLast, transpose, where } from '../../onnx/ops';
import { causalConv3d, conv2dLayer, convWith, pointwiseConv3d, rmsNormChannels } from './layers';
import {
  cacheInput,
  cacheOutput,
  catFrames,
  frameRange,
  lastFrames,
  padFrames,
  selectByFirst,
  type Temporal,
} from './temporal';

/**
 * Wan ResidualBlock: `residual` = [RMS, SiLU, CausalConv3d 3³, RMS, SiLU, Dropout, CausalConv3d 3³] (checkpoint
 * indices 0, 2, 3, 6), plus `shortcut`, a 1³ CausalConv3d when the widths differ (identity otherwise).
 */
export function residualBlock(
  g: GraphBuilder,
  t: Temporal,
  x: Tensor,
  inDim: number,
  outDim: number,
): Tensor {
  const shortcut = inDim !== outDim ? pointwiseConv3d(g, x, 'shortcut', inDim, outDim) : x;
  let y = silu(g, rmsNormChannels(g, x, 'residual.0', inDim));
  y = causalConv3d(g, t, y, 'residual.2', inDim, outDim);
  y = silu(g, rmsNormChannels(g, y, 'residual.3', outDim));
  y = causalConv3d(g, t, y, 'residual.6', outDim, outDim);
  return add(g, y, shortcut);
}

/**
 * Wan AttentionBlock: single-head self-attention over the pixels of each frame separately: RMS (γ [C, 1, 1]),
 * one 1×1 conv to q, k, v (C channels each, in that order), softmax(qkᵀ/√C)v, 1×1 `proj`, residual.
 */
export function attentionBlock(g: GraphBuilder, x: Tensor, dim: number): Tensor {
  const [, , h, w] = x.shape as [Dim, number, number, number];
  const normed = rmsNormChannels(g, x, 'norm', dim, true);
  const qkv = conv2dLayer(g, normed, 'to_qkv', dim, 3 * dim, 1); // [F, 3C, H, W]
  const tokens = transpose(g, reshape(g, qkv, [0, 3 * dim, h * w]), [0, 2, 1]); // [F, HW, 3C]
  const [q, k, v] = splitLast(g, tokens, 3) as [Tensor, Tensor, Tensor]; // [F, HW, C] each
  const scores = mul(g, matmul(g, q, transpose(g, k, [0, 2, 1])), g.scalar(1 / Math.sqrt(dim))); // [F, HW, HW]
  const attended = matmul(g, softmax(g, scores), v); // [F, HW, C]
  const image = reshape(g, transpose(g, attended, [0, 2, 1]), [0, dim, h, w]);
  return add(g, conv2dLayer(g, image, 'proj', dim, dim, 1), x);
}

/** Wan `middle`: ResidualBlock (0), AttentionBlock (1), ResidualBlock (2), all at one width. */
export function middleBlock(g: GraphBuilder, t: Temporal, x: Tensor, dim: number): Tensor {
  return g.scope('middle', () => {
    let y = g.scope(0, () => residualBlock(g, t, x, dim, dim));
    y = g.scope(1, () => attentionBlock(g, y, dim));
    return g.scope(2, () => residualBlock(g, t, y, dim, dim));
  });
}

/** The (3, 1, 1) temporal kernel [O, I, 3, 1, 1] as a 1×1 conv over the three taps stacked on channels. */
function timeConv(g: GraphBuilder, taps: Tensor[], inDim: number, outDim: number, frames: Dim): Tensor {
  const weight = g.param('weight', [outDim, inDim, 3, 1, 1], normal(Math.sqrt(1 / (3 * inDim))));
  const bias = g.param('bias', [outDim], zeros);
  const w2 = reshape(g, transpose(g, weight, [0, 2, 1, 3, 4]), [outDim, 3 * inDim, 1, 1]);
  const stacked = g.node(
    'Concat',
    taps,
    { shape: [frames, 3 * inDim, ...taps[0]!.shape.slice(2)], dtype: taps[0]!.dtype },
    { axis: 1 },
  )[0]!;
  return convWith(g, stacked, w2, bias, { kernel: [1, 1] });
}

/**
 * Wan Resample `downsample2d`/`downsample3d`: zero-pad right/bottom, 3×3 conv stride 2 per frame; then, for 3d,
 * `time_conv` (3, 1, 1) stride 2 over [previous frame, frames]. The first chunk skips the time conv and only
 * stores its frame; so a stream of 1 + 4k frames gives 1 + k latents. `frames` names the output frame dim.
 */
export function downsample(
  g: GraphBuilder,
  t: Temporal,
  x: Tensor,
  dim: number,
  temporal: boolean,
  frames: Dim,
): Tensor {
  const y = conv2dLayer(g, x, 'resample.1', dim, dim, 3, { stride: 2, pads: [0, 0, 1, 1] });
  if (!temporal) return y;
  return g.scope('time_conv', () => {
    const n = y.shape[0]!;
    if (t.mode === 'stream') {
      const cache = cacheInput(g, t, 1, y, 'time_downsample');
      const past = catFrames(g, [cache, y], `${n}+1`);
      // One zero frame at the end makes the first chunk (1 frame) yield one (unused) output like the steady chunks.
      const padded = padFrames(g, past, 0, 1, `${n}+2`);
      const conv = timeConv(
        g,
        [0, 1, 2].map((k) => frameRange(g, padded, k, 2 - k, 2, frames)),
        dim,
        dim,
        frames,
      );
      cacheOutput(g, t, lastFrames(g, y, 1));
      return selectByFirst(g, t, y, conv, frames);
    }
    if (typeof n !== 'number' || n % 2 !== 1) {
      throw new ShapeError(
        `${g.scopeName}`,
        `a clip needs an odd frame count (1 + 2m) here, got ${String(n)}`,
      );
    }
    const m = (n - 1) / 2;
    if (m === 0) return y;
    const conv = timeConv(
      g,
      [0, 1, 2].map((k) => frameRange(g, y, k, 2 - k, 2, m)),
      dim,
      dim,
      m,
    );
    return catFrames(g, [frameRange(g, y, 0, n - 1, 1, 1), conv], 1 + m);
  });
}

/**
 * Wan Resample `upsample2d`/`upsample3d`: for 3d, `time_conv` (3, 1, 1) with causal padding doubles the channels,
 * which become two frames each; the first chunk (and a clip's first latent) skips it, and its cache starts at zero
 * on the second chunk (Wan's "Rep"). Then nearest-exact ×2 and a 3×3 conv to dim/2 per frame.
 */
export function upsample(
  g: GraphBuilder,
  t: Temporal,
  x: Tensor,
  dim: number,
  temporal: boolean,
  frames: Dim,
): Tensor {
  let y = x;
  if (temporal) {
    y = g.scope('time_conv', () => {
      const n = x.shape[0]!;
      const [, , h, w] = x.shape as number[];
      const interleave = (conv: Tensor, out: Dim): Tensor => {
        const pairs = reshape(g, conv, [0, 2, dim, h!, w!]); // [F, 2, C, H, W]: frame 2f + s takes channels s·C…
        return { ...reshape(g, pairs, [-1, dim, h!, w!]), shape: [out, dim, h!, w!] };
      };
      if (t.mode === 'stream') {
        const cache = cacheInput(g, t, 2, x, 'time_upsample');
        const past = catFrames(g, [cache, x], `${n}+2`);
        const conv = timeConv(
          g,
          [0, 1, 2].map((k) => frameRange(g, past, k, 2 - k, 1, n)),
          dim,
          2 * dim,
          n,
        );
        cacheOutput(g, t, where(g, t.first!, cache, lastFrames(g, past, 2)));
        return selectByFirst(g, t, x, interleave(conv, `${n}*2`), frames);
      }
      if (typeof n !== 'number')
        throw new ShapeError(g.scopeName, `a clip needs a static frame count, got ${n}`);
      if (n === 1) return x;
      const rest = padFrames(g, frameRange(g, x, 1, 0, 1, n - 1), 2, 0, n + 1);
      const conv = timeConv(
        g,
        [0, 1, 2].map((k) => frameRange(g, rest, k, 2 - k, 1, n - 1)),
        dim,
        2 * dim,
        n - 1,
      );
      return catFrames(g, [frameRange(g, x, 0, n - 1, 1, 1), interleave(conv, 2 * (n - 1))], frames);
    });
  }
  const [f, c, h, w] = y.shape as [Dim, number, number, number];
  // PyTorch's nearest-exact reads source floor((i + 0.5)/2) = floor(i/2) at an exact ×2: ONNX asymmetric + floor.
  const scales = g.constant(new Float32Array([1, 1, 2, 2]), [4], 'float32', 'scales');
  const up = g.node(
    'Resize',
    [y, undefined, scales],
    { shape: [f, c, 2 * h, 2 * w], dtype: y.dtype },
    { mode: 'nearest', coordinate_transformation_mode: 'asymmetric', nearest_mode: 'floor' },
  )[0]!;
  return conv2dLayer(g, up, 'resample.1', dim, dim / 2, 3);
}
