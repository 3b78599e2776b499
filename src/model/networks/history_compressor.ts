import type { NetworkBuilder, NetworkBuildOptions, NetworkDefinition } from '../network';
import { GraphBuilder } from '../onnx/graph';
import { assertShape, cast, linear, reshape, transpose } from '../onnx/ops';
import { latentGrid, type ModelPreset, presetProblems } from '../presets';
import { qFormer } from './former/qformer';
import { videoFormer } from './former/video_former';

/** Nominal history length for MAC accounting (the paper's N = 45 of Fig. 6(d)); the graph takes any N. */
export const NOMINAL_HISTORY_CHUNKS = 45;
/** Nominal text length for MAC accounting (the FiLM MLPs run on the trimmed T5 rows). */
export const NOMINAL_TEXT_TOKENS = 32;

export interface HistoryCompressorOptions extends NetworkBuildOptions {
  /** History chunks N and text tokens used to count MACs (the graph is the same for any value). */
  nominalChunks?: number;
  nominalTextTokens?: number;
  /** Also output the Q-Former result `qformer_out` [1, qformer.numLatents, qformer.dim] (tests, debugging). */
  debug?: boolean;
}

/**
 * History compression of the release (`WanModel.process_history_features`, OFFICIAL.md §4): every latent pixel
 * of every history chunk is a token, `history_pre_proj` → `history_post_proj` (no activation), a Q-Former over all
 * chunks, regrouped to Video-Former frames, a Video-Former; both formers are FiLM-conditioned on the language.
 *
 * Inputs: `history_latents` [1, 16, history_chunks, h, w] float32 (normalised, oldest first, 1 ≤ N ≤ maxFrames);
 * `history_mask` [1, history_chunks] int64 (1 = valid; at least one must be valid); `text` [1, text_tokens,
 * textDim] (the T5 rows trimmed to the real tokens); `text_mask` [1, text_tokens] int64 (1 = valid).
 * Output: `history_features` [1, videoformer.numLatents, videoformer.dim], the DiT's `history_features`.
 */
export function historyCompressor(preset: ModelPreset, options: HistoryCompressorOptions): NetworkDefinition {
  const { qformer, videoformer } = preset.history;
  const { dim, textDim } = preset.dit;
  const C = preset.latentChannels;
  const { height: h, width: w } = latentGrid(preset);
  const problems = presetProblems(preset).filter((p) => /Q-Former|Video-Former/.test(p));
  if (problems.length) throw new Error(`history_compressor: ${problems.join('; ')}`);
  const chunks = options.nominalChunks ?? NOMINAL_HISTORY_CHUNKS;
  const g = new GraphBuilder('history_compressor', {
    floatType: options.floatType,
    attention: options.attention,
    nominalDims: {
      history_chunks: chunks,
      valid_chunks: chunks,
      history_tokens: chunks * h * w,
      text_tokens: options.nominalTextTokens ?? NOMINAL_TEXT_TOKENS,
    },
  });
  const latents = g.input('history_latents', 'float32', [1, C, 'history_chunks', h, w]);
  const mask = g.input('history_mask', 'int64', [1, 'history_chunks']);
  const text = g.input('text', g.floatType, [1, 'text_tokens', textDim]);
  const textMask = g.input('text_mask', 'int64', [1, 'text_tokens']);

  // b c f h w → b f (h w) c: one token per latent pixel, not patchified.
  const pixels = reshape(g, transpose(g, cast(g, latents, g.floatType), [0, 2, 3, 4, 1]), [0, 0, h * w, C]);
  const projected = linear(
    g,
    linear(g, pixels, 'history_pre_proj', C, dim),
    'history_post_proj',
    dim,
    qformer.dim,
  );
  const language = { text, textMask, textDim };
  const q = qFormer(g, { tokens: projected, mask, ...language }, qformer); // [1, numFrame·HW, dim]
  if (options.debug) g.output(q, 'qformer_out');
  const frames = reshape(g, q, [1, videoformer.numFrame, h * w, qformer.dim]);
  const features = videoFormer(g, { features: frames, inputDim: qformer.dim, ...language }, videoformer);
  assertShape(features, [1, videoformer.numLatents, videoformer.dim], 'history_features');
  g.output(features, 'history_features');
  return {
    key: 'history_compressor',
    graph: g,
    description:
      `History compressor (release): per-pixel tokens 16→${dim}→${qformer.dim}, ${qformer.depth}-layer Q-Former ` +
      `(${qformer.numLatents} queries, FiLM) → ${videoformer.depth}-layer Video-Former ` +
      `(${videoformer.numFrame} frames × ${videoformer.numLatents / videoformer.numFrame} queries, FiLM)`,
    metadata: {
      historyTokens: videoformer.numLatents,
      historyDim: videoformer.dim,
      maxHistoryChunks: qformer.maxFrames,
      tokensPerChunk: h * w,
    },
  };
}

export const buildHistoryCompressor: NetworkBuilder = (preset, options) =>
  historyCompressor(preset, {
    ...options,
    ...(options.nominalDims?.history_chunks ? { nominalChunks: options.nominalDims.history_chunks } : {}),
  });
