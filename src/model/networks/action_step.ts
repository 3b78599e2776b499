import type { NetworkBuilder } from '../network';
import { GraphBuilder, normal, type Tensor } from '../onnx/graph';
import {
  add,
  assertShape,
  cast,
  concat,
  div,
  layerNorm,
  linear,
  mul,
  reshape,
  scaleShift,
  silu,
  slice,
  sqrt,
  sub,
  unsqueeze,
} from '../onnx/ops';
import { attention } from './former/attention';
import { sinusoid } from './former/embed';
import { feedForward } from './ffn';
import { crossAttend, FORMER_EPS } from './former/layer';

/**
 * One DDIM step of the action diffusion transformer (SYSTEM.md §2.3; paper Sec. III-F, Table A-III).
 *
 * Inputs: `actions` [1, 8, 3] (the noisy a_k, normalised to [-1, 1]), `timestep` [1] (DDIM step index k as float),
 * `alpha_bar` [1] (ᾱ_k), `alpha_bar_prev` [1] (ᾱ of the next, less noisy step; 1 on the last step), all float32;
 * `video_tokens`, `text_tokens` from `action_context`.
 * Outputs (float32): `actions_x0` (the predicted clean actions, clipped to [-1, 1]) and `actions_next` (a_prev).
 *
 * Network *(ours where the paper is silent; adaLN as in Wan, so the time embedding is shared and each block only
 * adds a learned table — this keeps the action head at the paper's 23.4 M)*:
 * actions → Linear + learned position; time: sinusoid(k) → Linear, SiLU, Linear = temb; e0 = Linear(SiLU(temb))
 * → [6, hidden]; block: mods = table + e0 (shift, scale, gate, c_shift, c_scale, c_gate);
 * x += gate·SelfAttn(LN(x)(1+scale)+shift); x += CrossAttn(LN_affine(x), [video; text]);
 * x += c_gate·FFN(LN(x)(1+c_scale)+c_shift); head: LN(x)(1+scale)+shift with (shift, scale) = table + temb → Linear → x0.
 * The DDIM (η = 0) update runs in-graph in fp32.
 */
export const buildActionStep: NetworkBuilder = (preset, { floatType, attention }) => {
  const { horizon, actionDim, videoformer } = preset.action;
  const { hidden, layers, heads, ffn } = preset.action.dit;
  if (videoformer.hidden !== hidden) {
    throw new Error(
      `action: Video-Former hidden ${videoformer.hidden} ≠ DiT hidden ${hidden} (no projection between them)`,
    );
  }
  const g = new GraphBuilder('action_step', { floatType, attention });
  const actions = g.input('actions', 'float32', [1, horizon, actionDim]);
  const timestep = g.input('timestep', 'float32', [1]);
  const alphaBar = g.input('alpha_bar', 'float32', [1]);
  const alphaBarPrev = g.input('alpha_bar_prev', 'float32', [1]);
  const video = g.input('video_tokens', floatType, [1, videoformer.queries, hidden]);
  const text = g.input('text_tokens', floatType, [1, preset.dit.textLen, hidden]);

  let x = linear(g, cast(g, actions, floatType), 'action_embedding', actionDim, hidden); // [1, 8, hidden]
  x = add(g, x, g.param('pos_embedding', [horizon, hidden], normal(0.02)));
  const { temb, e0 } = g.scope('condition_embedder', () => {
    const t = g.scope('time_embedder', () => {
      const h = silu(g, linear(g, sinusoid(g, timestep, hidden), 'linear_1', hidden, hidden));
      return linear(g, h, 'linear_2', hidden, hidden); // [1, hidden]
    });
    const e = reshape(g, linear(g, silu(g, t), 'time_proj', hidden, 6 * hidden), [1, 6, hidden]);
    return { temb: t, e0: e };
  });
  const context = concat(g, [video, text], 1); // [1, 640 + textLen, hidden]

  g.scope('blocks', () => {
    for (let i = 0; i < layers; i++) x = g.scope(i, () => actionBlock(g, x, context, e0, hidden, heads, ffn));
  });

  const headMods = add(
    g,
    g.param('scale_shift_table', [1, 2, hidden], normal(1 / Math.sqrt(hidden))),
    unsqueeze(g, temb, [1]),
  );
  const [shift, scale] = [slice(g, headMods, 1, 0, 1), slice(g, headMods, 1, 1, 2)];
  const pred = linear(g, modulate(g, x, hidden, shift, scale), 'proj_out', hidden, actionDim); // [1, 8, 3]
  assertShape(pred, [1, horizon, actionDim], 'x0 prediction');

  const { x0, next } = ddimUpdate(g, actions, cast(g, pred, 'float32'), alphaBar, alphaBarPrev);
  g.output(next, 'actions_next');
  g.output(x0, 'actions_x0');
  return {
    key: 'action_step',
    graph: g,
    description: `Action DiT: ${layers} layers, hidden ${hidden}, ${heads} heads, ${horizon} action tokens; x0-prediction + DDIM update`,
    metadata: { horizon, actionDim, prediction: 'x0', sampler: 'ddim', clipSample: 1 },
  };
};

function actionBlock(
  g: GraphBuilder,
  x: Tensor,
  context: Tensor,
  e0: Tensor,
  hidden: number,
  heads: number,
  ffn: number,
): Tensor {
  const mods = add(g, g.param('scale_shift_table', [1, 6, hidden], normal(1 / Math.sqrt(hidden))), e0); // [1, 6, hidden]
  const [shift, scale, gate, cShift, cScale, cGate] = [0, 1, 2, 3, 4, 5].map((j) =>
    slice(g, mods, 1, j, j + 1),
  );
  let h = add(
    g,
    x,
    mul(g, attention(g, 'attn1', modulate(g, x, hidden, shift!, scale!), hidden, heads), gate!),
  );
  h = crossAttend(g, h, context, { hidden, heads });
  return add(g, h, mul(g, feedForward(g, modulate(g, h, hidden, cShift!, cScale!), hidden, ffn), cGate!));
}

/** LN(x)·(1 + scale) + shift with a LayerNorm without affine parameters. */
function modulate(g: GraphBuilder, x: Tensor, hidden: number, shift: Tensor, scale: Tensor): Tensor {
  return scaleShift(g, layerNorm(g, x, hidden, { eps: FORMER_EPS }), scale, shift);
}

/**
 * DDIM, η = 0, x0-parameterised (fp32): x0 = clip(pred, −1, 1); ε = (a_k − √ᾱ_k·x0)/√(1−ᾱ_k);
 * a_prev = √ᾱ_prev·x0 + √(1−ᾱ_prev)·ε.
 */
function ddimUpdate(
  g: GraphBuilder,
  ak: Tensor,
  pred: Tensor,
  alphaBar: Tensor,
  alphaBarPrev: Tensor,
): { x0: Tensor; next: Tensor } {
  const f32 = (v: number) => g.constant(new Float32Array([v]), [], 'float32', 'ddim_const');
  const x0 = g.node('Clip', [pred, f32(-1), f32(1)], { shape: pred.shape, dtype: 'float32' })[0]!;
  const eps = div(g, sub(g, ak, mul(g, sqrt(g, alphaBar), x0)), sqrt(g, sub(g, f32(1), alphaBar)));
  const next = add(g, mul(g, sqrt(g, alphaBarPrev), x0), mul(g, sqrt(g, sub(g, f32(1), alphaBarPrev)), eps));
  return { x0, next };
}
