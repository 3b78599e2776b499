import type { NetworkBuilder } from '../network';
import { GraphBuilder } from '../onnx/graph';
import { add, assertShape, cast, concat, expand, gather, mul, reshape, slice, sub } from '../onnx/ops';
import { latentGrid, type ModelPreset, tokensPerChunk } from '../presets';
import { ditBlock } from './dit/block';
import { batchSize, expandBatch } from './dit/common';
import { patchEmbedding, timeEmbedding, tokenEmbedder } from './dit/embeddings';
import { outputHead } from './dit/head';
import { ropeTable } from './dit/rope';

/** Timestep fed to the DiT = σ · 1000 (flow matching in Wan's timestep units). */
export const TIMESTEP_SCALE = 1000;

/** Frame positions of the DiT's chunks: 0 for the clean current chunk, then the sparse offsets (SYSTEM.md §2.1). */
export function ditChunkOffsets(preset: ModelPreset): BigInt64Array {
  return BigInt64Array.from([0, ...preset.sparseOffsets].map((o) => BigInt(o)));
}

/** Parameters SparseVideoNav adds to Wan2.1: the history embedder and each block's history cross-attention. */
export function isDitHistoryParameter(name: string): boolean {
  return name.startsWith('history_embedder.') || /^blocks\.\d+\.(attn3|norm3)\./.test(name);
}

/**
 * One sampler step of the sparse-video DiT: Wan2.1-T2V with the clean current chunk in the sequence (frame
 * position 0, timestep 0) and a history cross-attention in every block (SYSTEM.md §2.1, paper Sec. III-C/D).
 *
 * Inputs (sampler state fp32; conditioning tokens in the graph's float type, as the networks producing them emit):
 * - `x` [1, C, 8, h, w] fp32: noisy future chunk latents (normalised), `current` [1, C, 1, h, w] fp32: clean chunk.
 * - `sigma`, `sigma_next`, `guidance` [1] fp32.
 * - `text` [text_batch, textLen, textDim]: 1 = conditional only, 2 = [cond, uncond] for classifier-free guidance.
 * - `history` [1, historyTokens, historyDim]: history compressor output.
 * - `chunk_offsets` int64 [9]: RoPE frame position per chunk (`ditChunkOffsets`).
 * Outputs (fp32): `velocity` v = v_uncond + guidance·(v_cond − v_uncond) (v_cond = batch 0, v_uncond = the last
 * batch entry, so with one text entry v = v_cond) and `x_next` = x + (sigma_next − sigma)·v.
 */
export const buildDitStep: NetworkBuilder = (preset, { floatType, attention }) => {
  const { dim, ffn, heads, layers, patch, textDim, freqDim, textLen, eps } = preset.dit;
  const channels = preset.latentChannels;
  const future = preset.sparseOffsets.length;
  const chunks = future + 1;
  const { height: h, width: w } = latentGrid(preset);
  const grid: [number, number] = [h / patch[1], w / patch[2]];
  const historyTokens = preset.history.videoformer.queries;
  const historyDim = preset.history.videoformer.hidden;
  if (dim % heads) throw new Error(`dit: dim ${dim} is not divisible by ${heads} heads`);

  const g = new GraphBuilder('dit_step', { floatType, attention, nominalDims: { text_batch: 1 } });
  const x = g.input('x', 'float32', [1, channels, future, h, w]);
  const sigma = g.input('sigma', 'float32', [1]);
  const sigmaNext = g.input('sigma_next', 'float32', [1]);
  const current = g.input('current', 'float32', [1, channels, 1, h, w]);
  const text = g.input('text', floatType, ['text_batch', textLen, textDim]);
  const guidance = g.input('guidance', 'float32', [1]);
  const history = g.input('history', floatType, [1, historyTokens, historyDim]);
  const chunkOffsets = g.input('chunk_offsets', 'int64', [chunks]);
  const batch = batchSize(g, text);

  // Tokens of the current chunk first, then the future chunks, each in (h, w) row-major order.
  const latents = cast(g, concat(g, [current, x], 2), floatType); // [1, C, 9, h, w]
  const embedded = cast(g, patchEmbedding(g, latents, dim, patch), 'float32'); // [1, 9, P, dim]
  let tokens = expandBatch(g, embedded, batch, 'text_batch'); // [B, 9, P, dim]

  // Per-chunk timesteps: 0 for the clean current chunk, σ·1000 for the noisy future ones.
  const tFuture = expand(
    g,
    mul(g, sigma, g.constant(new Float32Array([TIMESTEP_SCALE]), [], 'float32', 'timestep_scale')),
    [future],
  );
  const timesteps = concat(
    g,
    [g.constant(new Float32Array([0]), [1], 'float32', 'current_timestep'), tFuture],
    0,
  ); // [9]
  const { textTokens, temb, e0 } = g.scope('condition_embedder', () => ({
    textTokens: tokenEmbedder(g, 'text_embedder', text, textDim, dim), // [B, L, dim]
    ...timeEmbedding(g, timesteps, freqDim, dim), // [9, dim], [9, 6·dim]
  }));
  const historyEmbedded = tokenEmbedder(g, 'history_embedder', history, historyDim, dim); // [1, Lh, dim]
  const rope = ropeTable(g, chunkOffsets, grid[0], grid[1], dim / heads);

  const blockInputs = {
    e0: reshape(g, e0, [chunks, 1, 6 * dim]),
    rope,
    text: textTokens,
    history: historyEmbedded,
    batch,
    batchDim: 'text_batch',
  };
  for (let i = 0; i < layers; i++) tokens = ditBlock(g, i, tokens, blockInputs, { dim, heads, ffn, eps });

  // Only the future chunks are denoised; the head runs on them alone.
  const futureTokens = slice(g, tokens, 1, 1, chunks); // [B, 8, P, dim]
  const futureTemb = slice(g, temb, 0, 1, chunks); // [8, dim]
  const v = cast(g, outputHead(g, futureTokens, futureTemb, { dim, eps, channels, patch, grid }), 'float32'); // [B, C, 8, h, w]

  const vCond = gather(g, v, g.ints([0]), 0);
  const vUncond = gather(g, v, g.ints([-1]), 0);
  const velocity = add(g, vUncond, mul(g, guidance, sub(g, vCond, vUncond))); // [1, C, 8, h, w]
  const xNext = add(g, x, mul(g, sub(g, sigmaNext, sigma), velocity));
  assertShape(velocity, x.shape, 'dit_step.velocity');
  g.output(xNext, 'x_next');
  g.output(velocity, 'velocity');

  return {
    key: 'dit_step',
    graph: g,
    description:
      `Sparse-video DiT step (Wan2.1-T2V, ${layers} blocks, dim ${dim}, ${heads} heads) with history cross-attention ` +
      `over ${historyTokens} tokens; ${chunks} chunks × ${tokensPerChunk(preset)} tokens; Euler update x + (σ_next − σ)·v`,
    isNewParameter: isDitHistoryParameter,
    metadata: {
      chunkOffsets: Array.from(ditChunkOffsets(preset), Number),
      futureChunks: future,
      tokensPerChunk: tokensPerChunk(preset),
      sequenceTokens: chunks * tokensPerChunk(preset),
      textTokens: textLen,
      historyTokens,
      timestepScale: TIMESTEP_SCALE,
      textBatch: 'text batch 1 = conditional only; 2 = [cond, uncond] for classifier-free guidance',
    },
  };
};
