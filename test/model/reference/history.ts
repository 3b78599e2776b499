import { latentGrid, type ModelPreset } from '../../../src/model/presets';
import { embedPatches, former, linear, mat, sinusoidRef, type Weights } from './former';

/**
 * Reference history compressor: latents [16, N, h, w] (batch 1), ages [N] → history tokens
 * [videoformer.queries · hidden].
 */
export function historyCompressorRef(
  preset: ModelPreset,
  w: Weights,
  latents: Float32Array,
  ages: readonly number[],
): Float32Array {
  const { patch: p, qformer, videoformer } = preset.history;
  const { height: h, width: W } = latentGrid(preset);
  const N = ages.length;
  const hidden = qformer.hidden;
  const x = embedPatches(
    latents,
    { C: preset.latentChannels, F: N, h, w: W, p },
    hidden,
    w,
    'patch_embedding',
  );
  const T = x.rows / N;
  for (let f = 0; f < N; f++) {
    const age = linear(mat(1, hidden, sinusoidRef(ages[f]!, hidden)), w, 'age_embedding.linear', hidden);
    for (let t = 0; t < T; t++)
      for (let d = 0; d < hidden; d++) x.data[(f * T + t) * hidden + d]! += age.data[d]!;
  }
  return former(former(x, qformer, w, 'qformer'), videoformer, w, 'videoformer').data;
}
