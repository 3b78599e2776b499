import type { DType } from './onnx/dtype';
import type { GraphBuilder } from './onnx/graph';
import type { ModelPreset } from './presets';

/**
 * The networks of a model directory, each one .onnx file named after its key, in data-flow order: camera →
 * history → text → DiT → action head, then the VAE decoder (previews). Builder and planner both read this list.
 */
export const NETWORK_KEYS = [
  'vae_encoder',
  'history_compressor',
  'text_encoder',
  'dit_step',
  'action_context',
  'action_step',
  'vae_decoder',
] as const;

export type NetworkKey = (typeof NETWORK_KEYS)[number];

export interface NetworkBuildOptions {
  /** Activations and weights: fp32, or fp16 for GPUs. */
  floatType: DType;
  /** Attention as fused MultiHeadAttention (default) or MatMul/Softmax (see GraphOptions.attention). */
  attention?: 'fused' | 'unfused';
  /** Values of dynamic dims for MAC counting (e.g. `{ history_chunks: 45 }`); see GraphOptions.nominalDims. */
  nominalDims?: Record<string, number>;
}

/** A network described as a graph, ready to be counted, written and given weights. */
export interface NetworkDefinition {
  key: NetworkKey;
  graph: GraphBuilder;
  description: string;
  /**
   * Parameters that upstream checkpoints do not have because SparseVideoNav adds them (e.g. the history
   * cross-attention of the Wan DiT). When loading such a checkpoint they keep their seeded values — zero for the
   * history output projection — instead of being reported missing.
   */
  isNewParameter?: (name: string) => boolean;
  /** Extra facts the runtime needs, recorded in the manifest under the network (e.g. cache tensor names). */
  metadata?: Record<string, unknown>;
}

export type NetworkBuilder = (preset: ModelPreset, options: NetworkBuildOptions) => NetworkDefinition;
