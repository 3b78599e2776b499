import type { NetworkBuilder, NetworkKey } from '../network';
import { buildActionContext } from './action_context';
import { buildActionStep } from './action_step';
import { buildDitStep } from './dit_step';
import { buildHistoryCompressor } from './history_compressor';
import { buildTextEncoder } from './text_encoder';
import { buildVaeDecoder } from './vae_decoder';
import { buildVaeEncoder } from './vae_encoder';

export const NETWORK_BUILDERS: Readonly<Record<NetworkKey, NetworkBuilder>> = {
  vae_encoder: buildVaeEncoder,
  history_compressor: buildHistoryCompressor,
  text_encoder: buildTextEncoder,
  dit_step: buildDitStep,
  action_context: buildActionContext,
  action_step: buildActionStep,
  vae_decoder: buildVaeDecoder,
};
