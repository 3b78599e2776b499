import type { GraphBuilder, Tensor } from '../../onnx/graph';
import {
  add,
  assertShape,
  concat,
  gelu,
  layerNorm,
  linear,
  multiHeadAttention,
  reshape,
  transpose,
} from '../../onnx/ops';
import type { VideoFormerConfig } from '../../presets';
import { formerAttention } from './attention';
import { mlp } from '../ffn';
import { filmModulate, filmParameters } from './film';
import { RELEASE_FORMER_EPS } from './qformer';

export interface VideoFormerInputs {
  /** Q-Former output regrouped per frame: [1, numFrame, HW, inputDim]. */
  features: Tensor;
  inputDim: number;
  text: Tensor;
  textMask: Tensor;
  textDim: number;
}

/**
 * The release's `Video_Former_3D` under scope `video_former` (OFFICIAL.md §4.5): own FiLM; `pre_proj` (Linear,
 * GELU erf, Linear); per frame `numLatents/numFrame` learned queries; each layer = perceiver attention of the
 * frame's queries over [its features; themselves] (`layers.i.0`), self-attention of every query slot across the
 * frames (`layers.i.1`), LayerNorm (`layers.i.2`), FiLM, FFN (`layers.i.3`); final `norm`.
 * Output [1, numLatents, dim] (frame-major).
 */
export function videoFormer(g: GraphBuilder, inputs: VideoFormerInputs, cfg: VideoFormerConfig): Tensor {
  const { dim, depth, heads, numLatents, numFrame, ffMult } = cfg;
  const [, frames, hw] = inputs.features.shape as [number, number, number];
  if (frames !== numFrame) throw new Error(`video_former: ${frames} frames in, num_frame is ${numFrame}`);
  const perFrame = numLatents / numFrame;
  return g.scope('video_former', () => {
    const film = filmParameters(g, inputs.text, inputs.textMask, inputs.textDim, dim);
    const pre = g.scope('pre_proj', () => {
      const h = gelu(g, linear(g, inputs.features, '0', inputs.inputDim, 2 * dim), 'none');
      return linear(g, h, '2', 2 * dim, dim);
    });
    const features = reshape(g, pre, [numFrame, hw, dim]); // frames as the batch
    let x = g.param('latents', [numFrame, perFrame, dim], { kind: 'normal', std: 1 }); // [F, q, dim]
    g.scope('layers', () => {
      for (let i = 0; i < depth; i++) {
        x = g.scope(i, () => {
          let y = add(g, x, perceiverAttention(g, features, x, cfg));
          const slots = transpose(g, y, [1, 0, 2]); // [q, F, dim]: attend across frames per slot
          y = add(g, y, transpose(g, formerAttention(g, '1', slots, dim, heads), [1, 0, 2]));
          const normed = filmModulate(
            g,
            layerNorm(g, y, dim, { eps: RELEASE_FORMER_EPS, affine: '2' }),
            film,
          );
          return add(g, normed, mlp(g, '3', normed, [dim, dim * ffMult, dim], 'none', { bias: false }));
        });
      }
    });
    const out = layerNorm(g, reshape(g, x, [1, numLatents, dim]), dim, {
      eps: RELEASE_FORMER_EPS,
      affine: 'norm',
    });
    assertShape(out, [1, numLatents, dim], 'video_former output');
    return out;
  });
}

/**
 * `layers.i.0`: q = to_q(LN_latents(latents)); k, v = to_k/to_v([LN_media(features); LN_latents(latents)]);
 * logits q·k/dimHead (the release scales q by dimHead^−½ and the attention scales again); `to_out`. No biases.
 * features [F, HW, dim], latents [F, q, dim] → [F, q, dim].
 */
function perceiverAttention(
  g: GraphBuilder,
  features: Tensor,
  latents: Tensor,
  cfg: VideoFormerConfig,
): Tensor {
  const { dim, heads, dimHead } = cfg;
  const inner = heads * dimHead;
  return g.scope('0', () => {
    const media = layerNorm(g, features, dim, { eps: RELEASE_FORMER_EPS, affine: 'norm_media' });
    const lat = layerNorm(g, latents, dim, { eps: RELEASE_FORMER_EPS, affine: 'norm_latents' });
    const kvInput = concat(g, [media, lat], 1); // [F, HW + q, dim]
    const q = linear(g, lat, 'to_q', dim, inner, { bias: false });
    const k = linear(g, kvInput, 'to_k', dim, inner, { bias: false });
    const v = linear(g, kvInput, 'to_v', dim, inner, { bias: false });
    const o = multiHeadAttention(g, q, k, v, heads, { scale: 1 / dimHead });
    return linear(g, o, 'to_out', inner, dim, { bias: false });
  });
}
