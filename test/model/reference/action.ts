import { latentGrid, type ModelPreset } from '../../../src/model/presets';
import {
  addInto,
  attention,
  embedPatches,
  feedForward,
  former,
  layerNorm,
  linear,
  type Mat,
  mat,
  silu,
  sinusoidRef,
  weight,
  type Weights,
} from './former';

/** Reference action context: latents [16, chunks, h, w], text [textLen, textDim] → video [640·hidden], text [textLen·hidden]. */
export function actionContextRef(
  preset: ModelPreset,
  w: Weights,
  latents: Float32Array,
  text: Float32Array,
): { video: Mat; text: Mat } {
  const { patch: p, videoformer } = preset.action;
  const { hidden } = videoformer;
  const { height: h, width: W } = latentGrid(preset);
  const F = preset.action.chunks;
  const x = embedPatches(latents, { C: preset.latentChannels, F, h, w: W, p }, hidden, w, 'patch_embedding');
  const T = x.rows / F;
  const chunk = weight(w, 'chunk_embedding');
  for (let f = 0; f < F; f++)
    for (let t = 0; t < T; t++)
      for (let d = 0; d < hidden; d++) x.data[(f * T + t) * hidden + d]! += chunk[f * hidden + d]!;
  return {
    video: former(x, videoformer, w, 'videoformer'),
    text: linear(mat(preset.dit.textLen, preset.dit.textDim, text), w, 'text_embedding', hidden),
  };
}

function modulate(x: Mat, shift: Float32Array, scale: Float32Array): Mat {
  const y = layerNorm(x, undefined);
  for (let r = 0; r < y.rows; r++)
    for (let d = 0; d < y.cols; d++)
      y.data[r * y.cols + d] = y.data[r * y.cols + d]! * (1 + scale[d]!) + shift[d]!;
  return y;
}

function gated(y: Mat, gate: Float32Array): Mat {
  for (let r = 0; r < y.rows; r++) for (let d = 0; d < y.cols; d++) y.data[r * y.cols + d]! *= gate[d]!;
  return y;
}

/** The DiT's clean-action prediction (before clipping) for noisy actions [8·3] at timestep k. */
export function actionPredictionRef(
  preset: ModelPreset,
  w: Weights,
  actions: Float32Array,
  k: number,
  video: Mat,
  text: Mat,
): Float32Array {
  const { horizon, actionDim } = preset.action;
  const { hidden, layers, heads, ffn } = preset.action.dit;
  const x = linear(mat(horizon, actionDim, actions), w, 'action_embedding', hidden);
  addInto(x, mat(horizon, hidden, Float32Array.from(weight(w, 'pos_embedding'))));
  const h1 = linear(
    mat(1, hidden, sinusoidRef(k, hidden)),
    w,
    'condition_embedder.time_embedder.linear_1',
    hidden,
  );
  h1.data.forEach((v, i) => (h1.data[i] = silu(v)));
  const temb = linear(h1, w, 'condition_embedder.time_embedder.linear_2', hidden);
  const e0 = linear(mat(1, hidden, temb.data.map(silu)), w, 'condition_embedder.time_proj', 6 * hidden);
  const ctx = mat(video.rows + text.rows, hidden);
  ctx.data.set(video.data, 0);
  ctx.data.set(text.data, video.data.length);
  for (let i = 0; i < layers; i++) {
    const table = weight(w, `blocks.${i}.scale_shift_table`);
    const m = (j: number) =>
      Float32Array.from({ length: hidden }, (_, d) => table[j * hidden + d]! + e0.data[j * hidden + d]!);
    const a = modulate(x, m(0), m(1));
    addInto(x, gated(attention(a, a, heads, w, `blocks.${i}.attn1`), m(2)));
    addInto(x, attention(layerNorm(x, w, `blocks.${i}.norm2`), ctx, heads, w, `blocks.${i}.attn2`));
    addInto(x, gated(feedForward(modulate(x, m(3), m(4)), ffn, w, `blocks.${i}.ffn`), m(5)));
  }
  const head = weight(w, 'scale_shift_table');
  const hm = (j: number) =>
    Float32Array.from({ length: hidden }, (_, d) => head[j * hidden + d]! + temb.data[d]!);
  return linear(modulate(x, hm(0), hm(1)), w, 'proj_out', actionDim).data;
}

/** DDIM (η = 0) from an x0 prediction, in float64. */
export function ddimRef(
  ak: Float32Array,
  pred: Float32Array,
  alphaBar: number,
  alphaBarPrev: number,
): { x0: Float32Array; next: Float32Array } {
  const x0 = pred.map((v) => Math.min(1, Math.max(-1, v)));
  const next = ak.map((a, i) => {
    const eps = (a - Math.sqrt(alphaBar) * x0[i]!) / Math.sqrt(1 - alphaBar);
    return Math.sqrt(alphaBarPrev) * x0[i]! + Math.sqrt(1 - alphaBarPrev) * eps;
  });
  return { x0, next };
}
