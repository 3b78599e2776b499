import type { ModelManifest } from '../../model/manifest';
import { ddimSchedule } from '../../model/networks/ddim';
import type { InferenceEngine } from '../engine/types';
import { noiseStream } from '../noise';
import type { CameraModel } from '../actions/geometric/camera-model';
import { LAST_REFERENCE_FRAME, LATENTS_FOR_PLAN } from '../actions/geometric/decoded';
import { estimateMotionPlan, type GeometricEstimate, PLAN_FRAMES } from '../actions/geometric/estimate';
import type { MeasuredVelocity } from '../actions/geometric/odometry-check';
import type { GeometricOptions } from '../actions/geometric/options';
import type { Action } from '../plan';
import { decodeLatents } from './decode';

export interface LearnedActionInputs {
  /** [C, frames, h, w]: the denoised latent (reference + future). */
  latents: Float32Array;
  ditTextRef: string;
  seed: number;
  sequence: number;
  ddimSteps?: number;
  checkpoint?: () => void;
}

/**
 * The paper's action head (not in the release; seeded until weights exist): the Action Video-Former reads the first
 * future chunks (the next seconds), then DDIM steps of the action DiT denoise 8 relative motions. The beta schedule
 * and step count come from the manifest.
 */
export async function learnedActions(
  engine: InferenceEngine,
  manifest: ModelManifest,
  inputs: LearnedActionInputs,
): Promise<Action[] | undefined> {
  const check = inputs.checkpoint ?? (() => undefined);
  const { channels, height, width } = manifest.latent;
  const chunks = manifest.action.chunks;
  const future = futureChunks(inputs.latents, manifest, chunks);
  const refs = ['plan/video_tokens', 'plan/text_tokens', 'plan/a'];
  try {
    await engine.run({
      network: 'action_context',
      feeds: {
        future_latents: { dtype: 'float32', dims: [1, channels, chunks, height, width], data: future },
        text: { ref: inputs.ditTextRef },
      },
      keep: { video_tokens: refs[0]!, text_tokens: refs[1]! },
    });
    const { horizon, action_dim: actionDim, ddim } = manifest.action;
    const schedule = ddimSchedule(
      { trainSteps: ddim.train_steps, steps: ddim.steps, betaSchedule: ddim.beta_schedule },
      inputs.ddimSteps ?? ddim.steps,
    );
    let normalised: Float32Array | undefined;
    for (let i = 0; i < schedule.length; i++) {
      check();
      const s = schedule[i]!;
      const last = i === schedule.length - 1;
      const out = await engine.run({
        network: 'action_step',
        feeds: {
          actions:
            i === 0
              ? {
                  normal: {
                    seed: inputs.seed,
                    stream: noiseStream(inputs.sequence, 'actions'),
                    dims: [1, horizon, actionDim],
                  },
                }
              : { ref: 'plan/a' },
          timestep: f32(s.timestep),
          alpha_bar: f32(s.alphaBar),
          alpha_bar_prev: f32(s.alphaBarPrev),
          video_tokens: { ref: refs[0]! },
          text_tokens: { ref: refs[1]! },
        },
        keep: { actions_next: 'plan/a' },
        ...(last ? { fetch: ['actions_next'] } : {}),
      });
      if (last) normalised = out.outputs.actions_next!.data as Float32Array;
    }
    if (!normalised) return undefined;
    const scale = manifest.action.scale;
    return Array.from({ length: horizon }, (_, k) => ({
      dx_m: normalised![k * actionDim]! * scale[0]!,
      dy_m: normalised![k * actionDim + 1]! * scale[1]!,
      dtheta_rad: normalised![k * actionDim + 2]! * scale[2]!,
    }));
  } finally {
    await engine.release(refs);
  }
}

/** The first `count` future chunks of [C, reference + future, h, w] → [C, count, h, w]. */
export function futureChunks(latents: Float32Array, manifest: ModelManifest, count: number): Float32Array {
  const { channels } = manifest.latent;
  const frames = manifest.reference_chunks + manifest.future_chunk_offsets.length;
  const plane = latents.length / (channels * frames);
  const out = new Float32Array(channels * count * plane);
  for (let c = 0; c < channels; c++) {
    const from = (c * frames + manifest.reference_chunks) * plane;
    out.set(latents.subarray(from, from + count * plane), c * count * plane);
  }
  return out;
}

function f32(value: number) {
  return { dtype: 'float32' as const, dims: [1], data: Float32Array.from([value]) };
}

/** What the geometric source needs besides the imagined video: the camera and, as a check, the measured speed. */
export interface GeometricContext {
  camera: CameraModel;
  options?: Partial<GeometricOptions>;
  /** Body velocity from odometry at the newest reference frame. */
  odometry?: MeasuredVelocity;
}

/**
 * The geometric action source (issue 14): decode the first seconds of the imagined video and read the camera's
 * motion over the floor. Later latents cannot change these frames (the decoder is causal), so 4 of 10 are decoded.
 */
export async function geometricActions(
  engine: InferenceEngine,
  manifest: ModelManifest,
  latents: Float32Array,
  context: GeometricContext,
): Promise<GeometricEstimate> {
  const video = await decodeLatents(engine, manifest, latents, LATENTS_FOR_PLAN);
  const frames = video.frames
    .slice(LAST_REFERENCE_FRAME, LAST_REFERENCE_FRAME + PLAN_FRAMES)
    .map((rgb) => ({ rgb, width: video.width, height: video.height }));
  return estimateMotionPlan(frames, context.camera, {
    ...(context.options ?? {}),
    ...(context.odometry ? { odometry: context.odometry } : {}),
  });
}
