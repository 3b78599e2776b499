import type { ModelManifest } from '../../model/manifest';
import type { InferenceEngine, TensorData } from '../engine/types';
import { allFinite } from '../noise';
import {
  flowUniPCSchedule,
  initialUniPCState,
  reinjectReference,
  type SampleLayout,
  uniPCStep,
  type UniPCStepTrace,
} from '../sampler/unipc';

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
  const t0 = performance.now();
  await historyFeatures(engine, manifest, inputs, HISTORY_REF);
  const historyMs = performance.now() - t0;
  try {
    const t1 = performance.now();
    const latents = await denoise(engine, manifest, {
      latent: joinFrames(inputs.reference, inputs.noise, latentLayout(manifest)),
      reference: inputs.reference,
      ditTextRef: inputs.ditTextRef,
      historyRef: HISTORY_REF,
      ...(inputs.steps ? { steps: inputs.steps } : {}),
      ...(inputs.checkpoint ? { checkpoint: inputs.checkpoint } : {}),
    });
    return { latents, historyMs, ditMs: performance.now() - t1 };
  } finally {
    await engine.release([HISTORY_REF]);
  }
}

/** `process_history_features`: [C, N, h, w] history latents + the trimmed text → features kept under `ref`. */
export async function historyFeatures(
  engine: InferenceEngine,
  manifest: ModelManifest,
  inputs: Pick<VideoInputs, 'history' | 'historyChunks' | 'trimmedText'>,
  ref: string,
): Promise<void> {
  const { channels, height, width } = manifest.latent;
  const tokens = inputs.trimmedText.dims[1]!;
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
      text_mask: { dtype: 'int64', dims: [1, tokens], data: ones(tokens) },
    },
    keep: { history_features: ref },
  });
}

export interface DenoiseInputs {
  /** [C, reference + future, h, w]: the reference followed by the initial noise. */
  latent: Float32Array;
  reference: Float32Array;
  ditTextRef: string;
  historyRef: string;
  steps?: number;
  checkpoint?: () => void;
  /** Sees every step's model input, velocity and scheduler trace (tests, diagnostics). */
  onStep?: (k: number, input: Float32Array, velocity: Float32Array, trace: UniPCStepTrace) => void;
}

/** `_video_denoise`: the UniPC loop over the DiT with reference re-injection; returns the final latent. */
export async function denoise(
  engine: InferenceEngine,
  manifest: ModelManifest,
  inputs: DenoiseInputs,
): Promise<Float32Array> {
  const layout = latentLayout(manifest);
  const { channels, height, width } = manifest.latent;
  const s = manifest.sampler;
  const schedule = flowUniPCSchedule(inputs.steps ?? s.steps, s.num_train_timesteps, s.shift);
  let x = inputs.latent;
  let state = initialUniPCState();
  for (let k = 0; k < schedule.timesteps.length; k++) {
    inputs.checkpoint?.();
    const out = await engine.run({
      network: 'dit_step',
      feeds: {
        x: { dtype: 'float32', dims: [1, channels, layout.frames, height, width], data: x },
        timestep: { dtype: 'int64', dims: [1], data: BigInt64Array.from([BigInt(schedule.timesteps[k]!)]) },
        text: { ref: inputs.ditTextRef },
        history_features: { ref: inputs.historyRef },
      },
      fetch: ['velocity'],
    });
    const velocity = out.outputs.velocity!.data as Float32Array;
    if (!allFinite(velocity))
      throw new NonFiniteOutput(`the DiT returned non-finite velocities at step ${k}`);
    const step = uniPCStep(schedule, state, x, velocity);
    inputs.onStep?.(k, x, velocity, step.trace);
    state = step.state;
    x = step.trace.next;
    reinjectReference(x, inputs.reference, layout);
  }
  return x;
}

function latentLayout(manifest: ModelManifest): SampleLayout {
  const referenceFrames = manifest.reference_chunks;
  return {
    channels: manifest.latent.channels,
    frames: referenceFrames + manifest.future_chunk_offsets.length,
    referenceFrames,
  };
}

export class NonFiniteOutput extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NonFiniteOutput';
  }
}

/** [reference ‖ noise] along time: [C, R, plane] and [C, F, plane] → [C, R + F, plane]. */
function joinFrames(reference: Float32Array, noise: Float32Array, layout: SampleLayout): Float32Array {
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
