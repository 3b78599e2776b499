import type { NetworkBuilder } from '../network';
import { GraphBuilder, normal } from '../onnx/graph';
import { add, assertShape, cast, linear, reshape, unsqueeze } from '../onnx/ops';
import { latentGrid } from '../presets';
import { patchify, spatialPositionTable } from './former/embed';
import { former } from './former/layer';

/**
 * The once-per-plan half of the action head (SYSTEM.md §2.3; paper Sec. III-F, Table A-III): the Action
 * Video-Former summarises the 8 generated sparse future chunks into `video_tokens`, and the instruction is projected
 * to the same width (`text_tokens`). Both are the cross-attention context of every `action_step`.
 *
 * Inputs: `future_latents` [1, 16, 8, h, w] float32 (the DiT's normalised output, in the order of `sparseOffsets`),
 * `text` [1, textLen, textDim] in the graph's float type (the umT5 output also fed to the video DiT).
 * Outputs in the graph's float type.
 * Tokens *(ours)*: 2×2 patches → Linear `patch_embedding` → + learned `chunk_embedding` (one vector per sparse chunk)
 * + fixed 2-D sin-cos spatial position. Text: one Linear `text_embedding`.
 */
export const buildActionContext: NetworkBuilder = (preset, { floatType, attention }) => {
  const { patch, videoformer } = preset.action;
  const { hidden } = videoformer;
  const C = preset.latentChannels;
  const chunks = preset.sparseOffsets.length;
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
  ); // [1, 8, T, hidden]
  x = add(g, x, unsqueeze(g, g.param('chunk_embedding', [chunks, hidden], normal(0.02)), [1])); // + [8, 1, hidden]
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
  const futureTokens = reshape(g, x, [1, chunks * tokens, hidden]); // [1, 8·T, hidden]

  const video = former(g, 'videoformer', futureTokens, videoformer); // [1, 640, 256]
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
