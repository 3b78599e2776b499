import type { NetworkBuilder, NetworkDefinition } from '../network';
import type { DType } from '../onnx/dtype';
import { GraphBuilder } from '../onnx/graph';
import { add, assertShape, cast, linear, unsqueeze } from '../onnx/ops';
import { latentGrid, type ModelPreset } from '../presets';
import { patchify, sinusoid, spatialPositionTable } from './former/embed';
import { former } from './former/layer';

/** Nominal history length for MAC accounting: the paper's N = 45 of Fig. 6(d). */
export const NOMINAL_HISTORY_CHUNKS = 45;

/**
 * History compression (SYSTEM.md §2.2; paper Sec. III-D, Table A-II): a Q-Former along time, then a Video-Former
 * with 4× fewer queries, turning any number of past chunk latents into a fixed set of history tokens for the DiT's
 * history cross-attention.
 *
 * Inputs
 * - `history_latents` [1, 16, history_chunks, h, w] float32 (like every latent at a graph boundary): normalised
 *   chunk latents, oldest first; the last is the current chunk (so history_chunks ≥ 1).
 * - `history_ages` [history_chunks] float32: age of each chunk in chunks, 0 = newest. Ages instead of indices
 *   make the embedding of a chunk independent of how much history the ring holds.
 * Output `history_tokens` [1, videoformer.queries, videoformer.hidden] in the graph's float type (the DiT's `history`).
 *
 * Tokens *(ours, the paper is silent)*: 2×2 patches (64 features) → Linear `patch_embedding` → + fixed 2-D sin-cos
 * spatial position + age embedding (`age_embedding`: Linear on a sinusoid of the age, width = hidden, one vector
 * per chunk added to all of its tokens).
 */
export const buildHistoryCompressor: NetworkBuilder = (preset, { floatType, attention }) =>
  historyCompressor(preset, floatType, NOMINAL_HISTORY_CHUNKS, attention);

/** The builder with the history length used for MAC accounting as a parameter (the graph is the same). */
export function historyCompressor(
  preset: ModelPreset,
  floatType: DType,
  nominalChunks: number,
  attention: 'fused' | 'unfused' = 'fused',
): NetworkDefinition {
  const { patch, qformer, videoformer } = preset.history;
  const C = preset.latentChannels;
  const { height: h, width: w } = latentGrid(preset);
  const tokens = (h / patch) * (w / patch);
  const hidden = qformer.hidden;
  if (videoformer.hidden !== hidden) {
    throw new Error(
      `history: Q-Former hidden ${hidden} ≠ Video-Former hidden ${videoformer.hidden} (no projection between them)`,
    );
  }
  const g = new GraphBuilder('history_compressor', {
    floatType,
    attention,
    nominalDims: { history_chunks: nominalChunks, history_tokens: nominalChunks * tokens },
  });
  const latents = g.input('history_latents', 'float32', [1, C, 'history_chunks', h, w]);
  const ages = g.input('history_ages', 'float32', ['history_chunks']);

  const patches = patchify(g, cast(g, latents, floatType), patch); // [1, N, T, 64]
  let x = linear(g, patches, 'patch_embedding', C * patch * patch, hidden); // [1, N, T, hidden]
  x = add(
    g,
    x,
    g.constant(
      spatialPositionTable(h / patch, w / patch, hidden),
      [tokens, hidden],
      floatType,
      'spatial_pos',
    ),
  );
  const age = g.scope('age_embedding', () => linear(g, sinusoid(g, ages, hidden), 'linear', hidden, hidden)); // [N, hidden]
  x = add(g, x, unsqueeze(g, age, [1])); // [1, N, T, hidden] + [N, 1, hidden]
  // [1, N·T, hidden], oldest chunk first. Reshape by hand to name the token axis, so MACs count N·T keys.
  const historyTokens = g.node('Reshape', [x, g.ints([1, -1, hidden])], {
    shape: [1, 'history_tokens', hidden],
  })[0]!;

  const temporal = former(g, 'qformer', historyTokens, qformer); // [1, 10240, 512]
  const spatial = former(g, 'videoformer', temporal, videoformer); // [1, 2560, 512]
  assertShape(spatial, [1, videoformer.queries, videoformer.hidden], 'history_tokens');
  g.output(spatial, 'history_tokens');
  return {
    key: 'history_compressor',
    graph: g,
    description:
      `History compressor: ${qformer.layers}-layer Q-Former (${qformer.queries} queries) → ` +
      `${videoformer.layers}-layer Video-Former (${videoformer.queries} queries), hidden ${hidden}`,
    metadata: { historyTokens: videoformer.queries, hidden, tokensPerChunk: tokens },
  };
}
