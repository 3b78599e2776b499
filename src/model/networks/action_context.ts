import type { NetworkBuilder } from '../network';
import { GraphBuilder, normal } from '../onnx/graph';
import { add, assertShape, cast, linear, reshape, unsqueeze } from '../onnx/ops';
import { latentGrid } from '../presets';
import { patchify, spatialPositionTable } from './former/embed';
import { former } from './former/layer';

/**
 * The once-per-plan half of the action head (SYSTEM.md §2.3; paper Sec. III-F, Table A-III; not released, so
 * this is the paper's design with seeded weights): the Action Video-Former summarises the first `action.chunks`
 * generated future chunks (the next 2 s) into `video_tokens`, and the instruction is projected to the same width
 * (`text_tokens`). Both are the cross-attention context of every `action_step`.
 *
 * Inputs: `future_latents` [1, 16, action.chunks, h, w] float32 (the first future chunks of the denoised latent,
 * normalised), `text` [1, dit.textLen, dit.textDim] in the graph's float type (the zero-padded text the DiT reads).
 * Outputs in the graph's float type.
 * Tokens *(ours)*: 2×2 patches → Linear `patch_embedding` → + learned `chunk_embedding` (one vector per sparse chunk)
 * + fixed 2-D sin-cos spatial position. Text: one Linear `text_embedding`.
 */
export const buildActionContext: NetworkBuilder = (preset, { floatType, attention }) => {
  const { patch, videoformer } = preset.action;
  const { hidden } = videoformer;
  const C = preset.latentChannels;
  const { chunks } = preset.action;
  if (chunks < 1 || chunks > preset.futureChunkOffsets.length) {
    throw new Error(
      `action_context: action.chunks ${chunks} must be 1…${preset.futureChunkOffsets.length} future chunks`,
    );
  }
  const { height: h, width: w } = latentGrid(preset);
  const tokens = (h / patch) * (w / patch);
  const { textLen, textDim } = preset.dit;
  const g = new GraphBuilder('action_context', { floatType, attention });
  const latents = g.input('future_latents', 'float32', [1, C, chunks, h, w]);
  const text = g.input('text', floatType, [1, textLen, textDim]);

  let x = linear(
    g,
    patchify(g, cast(g, latents, floatType), patch),
    'patch_embedding',
    C * patch * patch,
    hidden,
  ); // [1, chunks, T, hidden]
  x = add(g, x, unsqueeze(g, g.param('chunk_embedding', [chunks, hidden], normal(0.02)), [1])); // + [chunks, 1, hidden]
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
  const futureTokens = reshape(g, x, [1, chunks * tokens, hidden]); // [1, chunks·T, hidden]

  const video = former(g, 'videoformer', futureTokens, videoformer);
  assertShape(video, [1, videoformer.queries, hidden], 'video_tokens');
  g.output(video, 'video_tokens');
  g.output(linear(g, text, 'text_embedding', textDim, hidden), 'text_tokens'); // [1, textLen, hidden]
  return {
    key: 'action_context',
    graph: g,
    description: `Action Video-Former: ${videoformer.layers} layers, ${videoformer.queries} queries over ${chunks}×${tokens} future tokens, hidden ${hidden}; text projection ${textDim}→${hidden}`,
    metadata: { videoTokens: videoformer.queries, textTokens: textLen, hidden },
  };
};
