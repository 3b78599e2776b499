import type { ModelManifest } from '../../model/manifest';
import type { InferenceEngine, TensorData } from '../engine/types';
import { allFinite } from '../noise';
import { flowUniPCSchedule, initialUniPCState, reinjectReference, uniPCStep } from '../sampler/unipc';

export interface VideoInputs {
  /** [C, referenceChunks, h, w] clean reference latents. */
  reference: Float32Array;
  /** [C, N, h, w] history latents. */
  history: Float32Array;
  historyChunks: number;
  /** The DiT's text ([1, dit_text_len, dim]) kept in the worker, and the trimmed rows for the formers. */
  ditTextRef: string;
  trimmedText: TensorData;
  /** [C, futureChunks, h, w] standard normal noise (seeded by the caller). */
  noise: Float32Array;
  /** UniPC steps (the manifest's by default). */
  steps?: number;
  /** Called between network calls; throws to cancel. */
  checkpoint?: () => void;
}

export interface VideoResult {
  /** [C, reference + future, h, w]: the denoised latent with the reference re-injected. */
  latents: Float32Array;
  historyMs: number;
  ditMs: number;
}

const HISTORY_REF = 'plan/history_features';

/**
 * The release's video generation: history features once (`process_history_features`), then the UniPC loop — one
 * DiT forward per step at the integer timestep, the scheduler in TypeScript, the clean reference written back over
 * its frames after every step. No classifier-free guidance (the release has none).
 */
export async function imagineFuture(
  engine: InferenceEngine,
  manifest: ModelManifest,
  inputs: VideoInputs,
): Promise<VideoResult> {
  const { channels, height, width } = manifest.latent;
  const referenceFrames = manifest.reference_chunks;
  const frames = referenceFrames + manifest.future_chunk_offsets.length;
  const layout = { channels, frames, referenceFrames };
  const check = inputs.checkpoint ?? (() => undefined);
  const t0 = performance.now();
  await engine.run({
    network: 'history_compressor',
    feeds: {
      history_latents: {
        dtype: 'float32',
        dims: [1, channels, inputs.historyChunks, height, width],
        data: inputs.history,
      },
      history_mask: { dtype: 'int64', dims: [1, inputs.historyChunks], data: ones(inputs.historyChunks) },
      text: inputs.trimmedText,
      text_mask: {
        dtype: 'int64',
        dims: [1, inputs.trimmedText.dims[1]!],
        data: ones(inputs.trimmedText.dims[1]!),
      },
    },
    keep: { history_features: HISTORY_REF },
  });
  const historyMs = performance.now() - t0;
  try {
    const t1 = performance.now();
    const schedule = flowUniPCSchedule(
      inputs.steps ?? manifest.sampler.steps,
      manifest.sampler.num_train_timesteps,
      manifest.sampler.shift,
    );
    let x = joinFrames(inputs.reference, inputs.noise, layout);
    let state = initialUniPCState();
    for (let k = 0; k < schedule.timesteps.length; k++) {
      check();
      const out = await engine.run({
        network: 'dit_step',
        feeds: {
          x: { dtype: 'float32', dims: [1, channels, frames, height, width], data: x },
          timestep: { dtype: 'int64', dims: [1], data: BigInt64Array.from([BigInt(schedule.timesteps[k]!)]) },
          text: { ref: inputs.ditTextRef },
          history_features: { ref: HISTORY_REF },
        },
        fetch: ['velocity'],
      });
      const velocity = out.outputs.velocity!.data as Float32Array;
      if (!allFinite(velocity))
        throw new NonFiniteOutput(`the DiT returned non-finite velocities at step ${k}`);
      const step = uniPCStep(schedule, state, x, velocity);
      state = step.state;
      x = step.trace.next;
      reinjectReference(x, inputs.reference, layout);
    }
    return { latents: x, historyMs, ditMs: performance.now() - t1 };
  } finally {
    await engine.release([HISTORY_REF]);
  }
}

export class NonFiniteOutput extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NonFiniteOutput';
  }
}

/** [reference ‖ noise] along time: [C, R, plane] and [C, F, plane] → [C, R + F, plane]. */
function joinFrames(
  reference: Float32Array,
  noise: Float32Array,
  layout: { channels: number; frames: number; referenceFrames: number },
): Float32Array {
  const { channels, frames, referenceFrames } = layout;
  const plane = reference.length / (channels * referenceFrames);
  const future = frames - referenceFrames;
  if (noise.length !== channels * future * plane) {
    throw new RangeError(`noise of ${noise.length} values is not ${channels}×${future} frames of ${plane}`);
  }
  const x = new Float32Array(channels * frames * plane);
  for (let c = 0; c < channels; c++) {
    x.set(
      reference.subarray(c * referenceFrames * plane, (c + 1) * referenceFrames * plane),
      c * frames * plane,
    );
    x.set(
      noise.subarray(c * future * plane, (c + 1) * future * plane),
      (c * frames + referenceFrames) * plane,
    );
  }
  return x;
}

function ones(n: number): BigInt64Array {
  return new BigInt64Array(n).fill(1n);
}
