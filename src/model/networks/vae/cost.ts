import type { ModelPreset } from '../../presets';
import { buildVaeDecoderGraph } from '../vae_decoder';
import { buildVaeEncoderGraph } from '../vae_encoder';

/** Size and cost of one network, from its graph alone (no weights). */
export interface NetworkCost {
  parameters: number;
  /** Multiply-accumulates of one steady chunk (encoder: 4 frames in; decoder: one latent → 4 frames out). */
  macsPerChunk: number;
  resolution: { height: number; width: number };
}

function at(preset: ModelPreset, resolution?: { height: number; width: number }): ModelPreset {
  return resolution ? { ...preset, resolution: { ...resolution } } : preset;
}

export function vaeEncoderCost(
  preset: ModelPreset,
  resolution?: { height: number; width: number },
): NetworkCost {
  const p = at(preset, resolution);
  const { graph } = buildVaeEncoderGraph(p, { floatType: 'float32' });
  return { parameters: graph.parameterCount, macsPerChunk: graph.macs, resolution: { ...p.resolution } };
}

export function vaeDecoderCost(
  preset: ModelPreset,
  resolution?: { height: number; width: number },
): NetworkCost {
  const p = at(preset, resolution);
  const { graph } = buildVaeDecoderGraph(p, { floatType: 'float32' });
  return { parameters: graph.parameterCount, macsPerChunk: graph.macs, resolution: { ...p.resolution } };
}
