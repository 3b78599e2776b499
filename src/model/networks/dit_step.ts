import type { NetworkBuilder, NetworkBuildOptions, NetworkDefinition } from '../network';
import { GraphBuilder, type Tensor } from '../onnx/graph';
import { assertShape, cast, reshape, transpose } from '../onnx/ops';
import { latentGrid, type ModelPreset, sequenceChunks, tokensPerChunk } from '../presets';
import { ditBlock } from './dit/block';
import { patchEmbedding, textEmbedding, timeEmbedding } from './dit/embeddings';
import { outputHead, unpatchify } from './dit/head';
import { ropeTable } from './dit/rope';

export interface DitStepOptions extends NetworkBuildOptions {
  /**
   * Also output the intermediates the official fixtures record (tests and debugging): `patch_embedding_out`
   * [1, dim, F, hp, wp], `time_embedding_e` [1, dim], `time_projection_e0` [1, 6, dim], `text_context`
   * [1, textLen, dim], `block_out.i` [1, S, dim] and `head_out` [1, S, ph·pw·C], all fp32.
   */
  debug?: boolean;
}

/**
 * One forward of the release's video DiT (`SVNModel.forward`, OFFICIAL.md §5): Wan2.1-T2V blocks with a history
 * cross-attention, on the reference chunks followed by the noisy future chunks, all at one integer timestep.
 *
 * Inputs: `x` [1, 16, referenceChunks + futureChunks, h, w] float32 (normalised latents); `timestep` [1] int64 (the
 * scheduler's integer timestep, 0 ≤ t < numTrainTimesteps); `text` [1, textLen, textDim] (the T5 rows trimmed to
 * the real tokens, then zero-padded to textLen: the padding rows are attended like in the release);
 * `history_features` [1, videoformer.numLatents, videoformer.dim] (the history compressor's output).
 * Output: `velocity` [1, 16, F, h, w] float32 with x0 = x − σ·v. The sampler and the reference re-injection run
 * outside the graph.
 */
export function ditStep(preset: ModelPreset, options: DitStepOptions): NetworkDefinition {
  const { floatType, attention, debug } = options;
  const { dim, ffn, heads, layers, patch, textDim, freqDim, textLen, eps } = preset.dit;
  const { qformer, videoformer } = preset.history;
  const channels = preset.latentChannels;
  const chunks = sequenceChunks(preset);
  const { height: h, width: w } = latentGrid(preset);
  const grid: [number, number, number] = [chunks, h / patch[1], w / patch[2]];
  if (dim % heads) throw new Error(`dit: dim ${dim} is not divisible by ${heads} heads`);
  if (qformer.dim !== videoformer.dim) {
    throw new Error(
      `dit: history features are ${videoformer.dim} wide but history_proj expects ${qformer.dim}`,
    );
  }

  const g = new GraphBuilder('dit_step', { floatType, attention });
  const x = g.input('x', 'float32', [1, channels, chunks, h, w]);
  const timestep = g.input('timestep', 'int64', [1]);
  const text = g.input('text', floatType, [1, textLen, textDim]);
  const history = g.input('history_features', floatType, [1, videoformer.numLatents, videoformer.dim]);
  const debugOut = (t: Tensor, name: string): void => {
    if (debug) g.output(cast(g, t, 'float32'), name);
  };

  const tokens = cast(g, patchEmbedding(g, cast(g, x, floatType), dim, patch), 'float32'); // [1, S, dim]
  const seq = grid[0] * grid[1] * grid[2];
  debugOut(reshape(g, transpose(g, tokens, [0, 2, 1]), [1, dim, ...grid]), 'patch_embedding_out');
  const { e, e0 } = timeEmbedding(g, timestep, {
    freqDim,
    dim,
    count: preset.sampler.numTrainTimesteps,
  });
  debugOut(e, 'time_embedding_e');
  debugOut(e0, 'time_projection_e0');
  const context = textEmbedding(g, text, textDim, dim); // [1, textLen, dim]
  debugOut(context, 'text_context');

  const inputs = { e0, rope: ropeTable(g, grid, dim / heads), context, history };
  const size = { dim, heads, ffn, eps, historyDim: qformer.dim };
  let stream = tokens;
  for (let i = 0; i < layers; i++) {
    stream = ditBlock(g, i, stream, inputs, size);
    debugOut(stream, `block_out.${i}`);
  }

  const outFeatures = patch[0] * patch[1] * patch[2] * channels;
  const headOut = outputHead(g, stream, e, { dim, eps, outFeatures }); // [1, S, ph·pw·C]
  debugOut(headOut, 'head_out');
  const velocity = cast(g, unpatchify(g, headOut, grid, patch, channels), 'float32');
  assertShape(velocity, x.shape, 'dit_step.velocity');
  g.output(velocity, 'velocity');

  return {
    key: 'dit_step',
    graph: g,
    description:
      `SparseVideoNav video DiT (release SVNModel): ${layers} Wan blocks, dim ${dim}, ${heads} heads, ` +
      `${chunks} chunks × ${tokensPerChunk(preset)} tokens, text ${textLen}×${textDim}, ` +
      `history ${videoformer.numLatents}×${videoformer.dim}; output velocity (x0 = x − σ·v)`,
    metadata: {
      referenceChunks: preset.referenceChunks,
      futureChunks: preset.futureChunkOffsets.length,
      tokensPerChunk: tokensPerChunk(preset),
      sequenceTokens: seq,
      textTokens: textLen,
      historyTokens: videoformer.numLatents,
      numTrainTimesteps: preset.sampler.numTrainTimesteps,
    },
  };
}

export const buildDitStep: NetworkBuilder = (preset, options) => ditStep(preset, options);
