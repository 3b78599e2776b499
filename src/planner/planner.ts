import type { ModelManifest } from '../model/manifest';
import { NETWORK_KEYS } from '../model/network';
import { cameraModel } from './actions/geometric/camera-model';
import type { InferenceEngine, NetworkLoadReport } from './engine/types';
import type { ExecutionProvider } from './engine/types';
import { WorkerInferenceEngine } from './engine/worker-engine';
import { openModelDirectory, summariseProvenance, type ProvenanceSummary } from './model-dir';
import { allFinite, noiseStream, standardNormal } from './noise';
import type { Action, ActionSource, NoPlan, Plan, PlanOutcome, StageTimings } from './plan';
import { type GeometricContext, geometricActions, learnedActions } from './stages/action';
import { decodeLatents, type DecodedVideo } from './stages/decode';
import { Observation, type ObservationSnapshot } from './stages/observation';
import { TextStage } from './stages/text';
import { imagineFuture, NonFiniteOutput } from './stages/video';
import type { ModelFrame } from './vae-stream';

export interface PlannerOptions {
  modelDir: string;
  providers: readonly ExecutionProvider[];
  /** UniPC steps (the release's default 4; more steps = better quality, as its README says). */
  samplerSteps?: number;
  /** DDIM steps of the learned action head; the manifest's default when absent. */
  ddimSteps?: number;
  /** Seed of the future noise and the action head's noise: plans are reproducible per (seed, episode, plan). */
  seed: number;
  /** Threads of ONNX Runtime's CPU kernels (0 or absent: one per core). */
  intraOpThreads?: number;
  log?: (line: string) => void;
  /** Another engine (the worker engine is the default and the one the product uses). */
  engine?: InferenceEngine;
  /**
   * What turns the imagined future into motion: the learned action head, the geometric reading of the imagined
   * video, or `auto` (the learned head when the manifest says its weights are trained, else geometric).
   */
  actionSource?: ActionSource | 'auto';
  /** Test seam: the future noise of the next plan instead of the seeded draw (e.g. the release's own). */
  noiseOverride?: (sequence: number) => Float32Array | undefined;
}

export interface LoadReport {
  networks: NetworkLoadReport[];
  provenance: ProvenanceSummary;
  warmup: { ok: boolean; totalMs: number; reason?: string };
  memory: { rssBytes: number; historyBytes: number };
}

export class PlannerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PlannerError';
  }
}

class Cancelled extends Error {}

/**
 * From camera frames and an instruction to the release's imagined future and an 8-step trajectory. The plan cycle
 * runs as named stages — text, observation (reference + history latents), video (history features + UniPC over
 * the DiT), action — each in `./stages`. Knows ONNX Runtime (through the engine) and the manifest, not ROS. Every
 * network runs in the inference worker; between network calls a plan can be cancelled.
 */
export class Planner {
  readonly manifest: ModelManifest;
  readonly provenance: ProvenanceSummary;
  /** The action source every plan uses (`auto` resolved against the manifest). */
  readonly actionSource: ActionSource;
  readonly #engine: InferenceEngine;
  readonly #options: PlannerOptions;
  readonly #text: TextStage;
  readonly #observation: Observation;
  #sequence = 0;
  #lastEncodeMs = 0;
  #providers: NetworkLoadReport[] = [];

  private constructor(manifest: ModelManifest, engine: InferenceEngine, options: PlannerOptions) {
    this.manifest = manifest;
    this.provenance = summariseProvenance(manifest);
    this.actionSource = resolveActionSource(options.actionSource ?? 'auto', this.provenance);
    this.#engine = engine;
    this.#options = options;
    this.#text = new TextStage(manifest, engine, options.modelDir);
    this.#observation = new Observation(manifest, engine);
  }

  /**
   * Opens and verifies the model directory, starts every network (with per-provider fallback) and runs one
   * warm-up plan that must return finite values: a model that cannot plan fails here, not on the robot.
   */
  static async load(options: PlannerOptions): Promise<{ planner: Planner; report: LoadReport }> {
    const log = options.log ?? (() => undefined);
    const manifest = await openModelDirectory(options.modelDir);
    const engine = options.engine ?? new WorkerInferenceEngine();
    try {
      const reports = await engine.load({
        modelDir: options.modelDir,
        providers: options.providers,
        networks: NETWORK_KEYS,
        intraOpThreads: options.intraOpThreads ?? 0,
      });
      for (const r of reports) {
        const fell = r.fallbacks.map((f) => `${f.provider} failed: ${f.error}`).join('; ');
        log(
          `${r.network} runs on ${r.provider} (loaded in ${r.loadMs.toFixed(0)} ms${fell ? `; ${fell}` : ''})`,
        );
      }
      const planner = new Planner(manifest, engine, options);
      planner.#providers = reports;
      log(`actions from the ${planner.actionSource} source (${options.actionSource ?? 'auto'} requested)`);
      if (planner.provenance.untrained) {
        log(
          `model ${options.modelDir} is UNTRAINED: seeded weights in ${planner.provenance.seededNetworks.join(', ')}`,
        );
      }
      const warmup = await planner.#warmUp();
      if (!warmup.ok) throw new PlannerError(`warm-up plan failed: ${warmup.reason}`);
      const mem = await engine.memory();
      return {
        planner,
        report: {
          networks: reports,
          provenance: planner.provenance,
          warmup,
          memory: { rssBytes: mem.rssBytes, historyBytes: planner.historyBytes },
        },
      };
    } catch (err) {
      await engine.close();
      throw err;
    }
  }

  /** The execution provider of the DiT, the network that dominates latency. */
  get provider(): string {
    return this.#providers.find((r) => r.network === 'dit_step')?.provider ?? 'unknown';
  }

  get resolution(): { height: number; width: number } {
    return this.manifest.resolution;
  }

  /** Complete chunks of the episode so far. */
  get historySize(): number {
    return this.#observation.chunks;
  }

  /** Bytes the history latents can take at most (the Q-Former's table + the reference). */
  get historyBytes(): number {
    const { channels, height, width } = this.manifest.latent;
    return (
      (this.manifest.history.max_chunks + this.manifest.reference_chunks) * channels * height * width * 4
    );
  }

  /**
   * Feeds one frame sampled at the model's FPS ([3, H, W] in [-1, 1]). Every 4 frames the episode's history clip
   * gets one more latent. Returns true when a chunk completed.
   */
  async addFrame(frame: ModelFrame): Promise<boolean> {
    const started = performance.now();
    const completed = await this.#observation.addFrame(frame);
    if (completed) this.#lastEncodeMs = performance.now() - started;
    return completed;
  }

  /**
   * Forgets the episode's frames and the encoders' causal caches: a new episode sees only its own frames. Plan
   * numbering (and with it the seeded noise) restarts, so an episode replayed with the same frames gives the same plans.
   */
  async resetEpisode(): Promise<void> {
    this.#sequence = 0;
    await this.#observation.reset();
  }

  /** One plan cycle from the episode so far. Never throws for bad inputs or bad network outputs: see NoPlan. */
  async plan(
    instruction: string,
    options: { signal?: AbortSignal; geometric?: GeometricContext } = {},
  ): Promise<PlanOutcome> {
    const sequence = ++this.#sequence;
    const noPlan = (kind: NoPlan['kind'], reason: string, stamp?: bigint): NoPlan => ({
      ok: false,
      sequence,
      inputStampNs: stamp,
      kind,
      reason,
    });
    const text = instruction.trim();
    if (!text) return noPlan('invalid_instruction', 'the instruction is empty');
    const check = () => {
      if (options.signal?.aborted) throw new Cancelled();
    };
    const t0 = performance.now();
    let snapshot: ObservationSnapshot | undefined;
    try {
      const tText = performance.now();
      const encoded = await this.#text.encode(text);
      const textMs = encoded.computed ? performance.now() - tText : 0;
      check();
      const tEncode = performance.now();
      snapshot = await this.#observation.snapshot();
      if (!snapshot) {
        return noPlan(
          'no_frames',
          `a plan needs ${this.#observation.chunksNeeded} complete chunks (${this.#observation.chunksNeeded * this.manifest.chunk_frames} frames at ${this.manifest.fps} FPS), the episode has ${this.#observation.chunks}`,
        );
      }
      const encodeMs = performance.now() - tEncode;
      check();
      const video = await imagineFuture(this.#engine, this.manifest, {
        reference: snapshot.reference,
        history: snapshot.history,
        historyChunks: snapshot.historyChunks,
        ditTextRef: encoded.text.ditRef,
        trimmedText: encoded.text.trimmed,
        noise: this.#noise(sequence),
        ...(this.#options.samplerSteps ? { steps: this.#options.samplerSteps } : {}),
        checkpoint: check,
      });
      check();
      const tAction = performance.now();
      const action = await this.#actions(
        video.latents,
        encoded.text.ditRef,
        sequence,
        options.geometric,
        check,
      );
      const actionMs = performance.now() - tAction;
      if ('reason' in action) return noPlan(action.kind, action.reason, snapshot.newestStampNs);
      return this.#assemble(sequence, text, snapshot, video, action, {
        encodeMs: encodeMs + this.#lastEncodeMs,
        historyMs: video.historyMs,
        textMs,
        ditMs: video.ditMs,
        actionMs,
        totalMs: performance.now() - t0 + this.#lastEncodeMs,
      });
    } catch (err) {
      const stamp = snapshot?.newestStampNs;
      if (err instanceof Cancelled) return noPlan('cancelled', 'cancelled between network calls', stamp);
      if (err instanceof NonFiniteOutput) return noPlan('non_finite', err.message, stamp);
      return noPlan('inference_error', (err as Error).message, stamp);
    }
  }

  /**
   * Decodes a plan's latent as the release decodes its output (all latents as one clip: 1 + 4·(T − 1) frames).
   * Call it after the plan has been handed to the controller: it shares the inference queue.
   */
  async decodeFuture(plan: Pick<Plan, 'futureLatents' | 'futureDims'>): Promise<DecodedVideo> {
    return decodeLatents(this.#engine, this.manifest, plan.futureLatents, plan.futureDims[1]);
  }

  async memory(): Promise<{ rssBytes: number; historyBytes: number }> {
    const m = await this.#engine.memory();
    return { rssBytes: m.rssBytes, historyBytes: this.historyBytes };
  }

  async close(): Promise<void> {
    await this.#engine.close();
  }

  #assemble(
    sequence: number,
    instruction: string,
    snapshot: ObservationSnapshot,
    video: { latents: Float32Array },
    action: { actions: Action[]; confidence?: number },
    timings: StageTimings,
  ): Plan {
    const m = this.manifest;
    const { channels, height, width } = m.latent;
    return {
      ok: true,
      sequence,
      inputStampNs: snapshot.newestStampNs,
      instruction,
      actions: action.actions,
      actionSource: this.actionSource,
      ...(action.confidence !== undefined ? { actionConfidence: action.confidence } : {}),
      stepDtS: m.action.step_dt_s,
      futureLatents: video.latents,
      futureDims: [channels, video.latents.length / (channels * height * width), height, width],
      referenceChunks: m.reference_chunks,
      futureOffsets: [...m.future_chunk_offsets],
      historyChunks: snapshot.historyChunks,
      historyDroppedChunks: snapshot.droppedChunks,
      timings,
    };
  }

  /** Motion from the denoised latent, by the planner's action source; finite actions or why there are none. */
  async #actions(
    latents: Float32Array,
    ditTextRef: string,
    sequence: number,
    geometric: GeometricContext | undefined,
    check: () => void,
  ): Promise<{ actions: Action[]; confidence?: number } | { kind: NoPlan['kind']; reason: string }> {
    if (this.actionSource === 'geometric') {
      if (!geometric)
        return { kind: 'no_motion_estimate', reason: 'no camera model yet for the geometric action source' };
      const estimate = await geometricActions(this.#engine, this.manifest, latents, geometric);
      if (estimate.kind === 'no_plan') return { kind: 'no_motion_estimate', reason: estimate.reason };
      return {
        actions: estimate.steps.map(([dx_m, dy_m, dtheta_rad]) => ({ dx_m, dy_m, dtheta_rad })),
        confidence: estimate.confidence.score,
      };
    }
    const actions = await learnedActions(this.#engine, this.manifest, {
      latents,
      ditTextRef,
      seed: this.#options.seed,
      sequence,
      ...(this.#options.ddimSteps ? { ddimSteps: this.#options.ddimSteps } : {}),
      checkpoint: check,
    });
    if (!actions || !allFinite(actions.flatMap((a) => [a.dx_m, a.dy_m, a.dtheta_rad]))) {
      return { kind: 'non_finite', reason: 'the action head produced non-finite actions' };
    }
    return { actions };
  }

  /** The seeded future noise [C, futureChunks, h, w] of plan `sequence`. */
  #noise(sequence: number): Float32Array {
    const override = this.#options.noiseOverride?.(sequence);
    if (override) return override;
    const { channels, height, width } = this.manifest.latent;
    const n = channels * this.manifest.future_chunk_offsets.length * height * width;
    return standardNormal(n, this.#options.seed, noiseStream(sequence, 'video'));
  }

  async #warmUp(): Promise<{ ok: boolean; totalMs: number; reason?: string }> {
    const started = performance.now();
    const { height, width } = this.manifest.resolution;
    const frames = this.#observation.chunksNeeded * this.manifest.chunk_frames;
    for (let i = 0; i < frames; i++) {
      await this.addFrame({
        stampNs: BigInt(i) * 250_000_000n + 1n,
        data: new Float32Array(3 * height * width).fill(((i % 4) - 1.5) / 4),
      });
    }
    // The geometric source runs too (decoder, OpenCV's first load); flat frames carry no motion to read, so its
    // "no plan" is the expected answer — what must not happen is an error or a non-finite output.
    const camera = cameraModel({
      hfov_deg: 90,
      sourceWidth_px: width,
      sourceHeight_px: height,
      mount: { height_m: 0.3, pitch_rad: 0.3, forward_m: 0.3, lateral_m: 0 },
      size_px: width,
    });
    const outcome = await this.plan('warm up: walk forward', { geometric: { camera } });
    if (outcome.ok) await this.decodeFuture(outcome);
    await this.resetEpisode();
    return outcome.ok || outcome.kind === 'no_motion_estimate'
      ? { ok: true, totalMs: performance.now() - started }
      : { ok: false, totalMs: performance.now() - started, reason: outcome.reason };
  }
}

/**
 * `auto`: the learned action head when its weights are trained; otherwise the geometric reading of the imagined
 * video — which needs a trained video generator, so a model seeded throughout (a test or demo model, refused on a
 * robot) keeps the seeded head and exercises the whole pipeline.
 */
export function resolveActionSource(
  wanted: ActionSource | 'auto',
  provenance: Pick<ProvenanceSummary, 'untrained' | 'actionHeadTrained'>,
): ActionSource {
  if (wanted !== 'auto') return wanted;
  return provenance.actionHeadTrained || provenance.untrained ? 'learned' : 'geometric';
}
