import { join } from 'node:path';
import type { ModelManifest } from '../model/manifest';
import type { NetworkKey } from '../model/network';
import { ddimSchedule } from '../model/networks/ddim';
import { teacherSigmas } from '../model/presets';
import { InstructionTokenizer } from '../model/text/tokenizer';
import { HistoryRing } from '../history/ring';
import { ChunkEncoder, type ModelFrame } from './chunk-encoder';
import type { ExecutionProvider, InferenceEngine, NetworkLoadReport, TensorData } from './engine/types';
import { WorkerInferenceEngine } from './engine/worker-engine';
import {
  openModelDirectory,
  PREVIEW_NETWORKS,
  REQUIRED_NETWORKS,
  summariseProvenance,
  type ProvenanceSummary,
} from './model-dir';
import { allFinite, noiseStream } from './noise';
import type { Action, NoPlan, Plan, PlanOutcome, StageTimings } from './plan';

export interface PlannerOptions {
  modelDir: string;
  providers: readonly ExecutionProvider[];
  historyCapacity: number;
  sampler: 'pcm' | 'teacher';
  guidanceScale: number;
  /** DDIM steps of the action head; the manifest's default when absent. */
  ddimSteps?: number;
  seed: number;
  /** Threads of ONNX Runtime's CPU kernels (0 or absent: one per core). */
  intraOpThreads?: number;
  /** Load the preview decoder so that `decodePreview` works. */
  preview: boolean;
  log?: (line: string) => void;
  /** Another engine (the worker engine is the default and the one the product uses). */
  engine?: InferenceEngine;
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

/** Cache key of the empty prompt used as the unconditional branch of classifier-free guidance. */
const UNCONDITIONAL = '\u0000unconditional';

/**
 * From camera frames and an instruction to a sparse imagined future and an 8-step trajectory (SYSTEM.md §1).
 * Knows ONNX Runtime (through the engine) and the manifest, not ROS. Every network runs in the inference worker;
 * between network calls a plan can be cancelled.
 */
export class Planner {
  readonly manifest: ModelManifest;
  readonly provenance: ProvenanceSummary;
  readonly history: HistoryRing;
  readonly #engine: InferenceEngine;
  readonly #tokenizer: InstructionTokenizer;
  readonly #encoder: ChunkEncoder;
  readonly #options: PlannerOptions;
  readonly #textCache = new Map<string, { ref: string; data: TensorData }>();
  #sequence = 0;
  #lastEncodeMs = 0;
  #providers: NetworkLoadReport[] = [];

  private constructor(manifest: ModelManifest, engine: InferenceEngine, options: PlannerOptions) {
    this.manifest = manifest;
    this.provenance = summariseProvenance(manifest);
    this.#engine = engine;
    this.#options = options;
    this.history = new HistoryRing(options.historyCapacity, [
      manifest.latent.channels,
      manifest.latent.height,
      manifest.latent.width,
    ]);
    this.#tokenizer = InstructionTokenizer.load(join(options.modelDir, manifest.text.tokenizer), {
      vocab: manifest.text.vocab,
      maxTokens: manifest.text.max_tokens,
    });
    this.#encoder = new ChunkEncoder(manifest, engine);
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
      const networks: NetworkKey[] = [...REQUIRED_NETWORKS, ...(options.preview ? PREVIEW_NETWORKS : [])];
      const reports = await engine.load({
        modelDir: options.modelDir,
        providers: options.providers,
        networks,
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
      if (planner.provenance.untrained) {
        log(
          `model ${options.modelDir} is UNTRAINED: seeded weights in ${planner.provenance.seededNetworks.join(', ') || 'some parameters'}`,
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
          memory: { rssBytes: mem.rssBytes, historyBytes: planner.history.capacityBytes },
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

  /**
   * Feeds one frame sampled at the model's FPS ([3, H, W] in [-1, 1]). Every 4 frames (1 for the very first chunk)
   * the streaming VAE encoder produces a chunk latent that enters the history. Returns true when it did.
   */
  async addFrame(frame: ModelFrame): Promise<boolean> {
    const started = performance.now();
    const latent = await this.#encoder.push(frame);
    if (!latent) return false;
    if (!allFinite(latent)) {
      throw new PlannerError(
        `VAE encoder produced non-finite values for the chunk ending at ${frame.stampNs} ns`,
      );
    }
    this.history.push({ stampNs: frame.stampNs, data: latent });
    this.#lastEncodeMs = performance.now() - started;
    return true;
  }

  /**
   * Forgets history and the encoder's causal caches: a new episode sees only its own frames. Plan numbering (and
   * with it the seeded noise) restarts, so an episode replayed with the same frames gives the same plans.
   */
  async resetEpisode(): Promise<void> {
    this.#sequence = 0;
    this.history.clear();
    await this.#encoder.reset();
  }

  /** One plan cycle from the current history. Never throws for bad inputs or bad network outputs: see NoPlan. */
  async plan(instruction: string, options: { signal?: AbortSignal } = {}): Promise<PlanOutcome> {
    const sequence = ++this.#sequence;
    // The history as it is now: chunks encoded while this plan runs belong to the next plan.
    const newest = this.history.newest();
    const stacked = this.history.stack();
    const noPlan = (kind: NoPlan['kind'], reason: string): NoPlan => ({
      ok: false,
      sequence,
      inputStampNs: newest?.stampNs,
      kind,
      reason,
    });
    if (!newest)
      return noPlan(
        'no_frames',
        'no chunk has been encoded yet (the first plan needs one frame at the model rate)',
      );
    const text = instruction.trim();
    if (!text) return noPlan('invalid_instruction', 'the instruction is empty');
    const check = () => {
      if (options.signal?.aborted) throw new Cancelled();
    };
    const t0 = performance.now();
    const m = this.manifest;
    const refs: string[] = [];
    try {
      check();
      // Text: once per instruction string, kept in the worker.
      let textMs = 0;
      let cond = this.#textCache.get(text);
      if (!cond) {
        const t = performance.now();
        cond = await this.#encodeText(text);
        textMs = performance.now() - t;
      }
      let ditText = { ref: cond.ref };
      if (this.#options.sampler === 'teacher') {
        let uncond = this.#textCache.get(UNCONDITIONAL);
        if (!uncond) uncond = await this.#encodeText(UNCONDITIONAL);
        // [cond, uncond] crosses to the worker once per plan, not once per each of the 50 steps.
        await this.#engine.store('plan/text_cfg', concatBatch(cond.data, uncond.data));
        refs.push('plan/text_cfg');
        ditText = { ref: 'plan/text_cfg' };
      }
      check();

      // History → fixed history tokens.
      const tHistory = performance.now();
      await this.#engine.run({
        network: 'history_compressor',
        feeds: {
          history_latents: { dtype: 'float32', dims: stacked.dims, data: stacked.latents },
          history_ages: { dtype: 'float32', dims: [stacked.ages.length], data: stacked.ages },
        },
        keep: { history_tokens: 'plan/history' },
      });
      refs.push('plan/history');
      const historyMs = performance.now() - tHistory;
      check();

      // Sparse future: 4 PCM phases (or the 50-step teacher with CFG), each one step graph call.
      const tDit = performance.now();
      const { channels, height, width } = m.latent;
      const horizon = m.sparse_offsets.length;
      const xDims = [1, channels, horizon, height, width];
      const sigmas =
        this.#options.sampler === 'pcm'
          ? m.sampler.pcm_sigmas
          : teacherSigmas(m.sampler.shift, m.sampler.teacher_steps);
      const offsets = BigInt64Array.from([0, ...m.sparse_offsets].map((o) => BigInt(o)));
      const guidance = this.#options.sampler === 'teacher' ? this.#options.guidanceScale : 1;
      refs.push('plan/x');
      for (let i = 0; i + 1 < sigmas.length; i++) {
        check();
        await this.#engine.run({
          network: 'dit_step',
          feeds: {
            x:
              i === 0
                ? {
                    normal: { seed: this.#options.seed, stream: noiseStream(sequence, 'video'), dims: xDims },
                  }
                : { ref: 'plan/x' },
            sigma: f32([sigmas[i]!]),
            sigma_next: f32([sigmas[i + 1]!]),
            current: { dtype: 'float32', dims: [1, channels, 1, height, width], data: newest.data },
            text: ditText,
            guidance: f32([guidance]),
            history: { ref: 'plan/history' },
            chunk_offsets: { dtype: 'int64', dims: [offsets.length], data: offsets },
          },
          keep: { x_next: 'plan/x' },
        });
      }
      const ditMs = performance.now() - tDit;
      check();

      // Action head: Action Video-Former once, then DDIM steps of the action DiT.
      const tAction = performance.now();
      await this.#engine.run({
        network: 'action_context',
        feeds: { future_latents: { ref: 'plan/x' }, text: { ref: cond.ref } },
        keep: { video_tokens: 'plan/video_tokens', text_tokens: 'plan/text_tokens' },
      });
      refs.push('plan/video_tokens', 'plan/text_tokens', 'plan/a');
      const { horizon: steps, action_dim: actionDim } = m.action;
      const schedule = ddimSchedule(
        {
          trainSteps: m.action.ddim.train_steps,
          steps: m.action.ddim.steps,
          betaSchedule: 'squaredcos_cap_v2',
        },
        this.#options.ddimSteps ?? m.action.ddim.steps,
      );
      let normalised: Float32Array | undefined;
      for (let i = 0; i < schedule.length; i++) {
        check();
        const s = schedule[i]!;
        const last = i === schedule.length - 1;
        const out = await this.#engine.run({
          network: 'action_step',
          feeds: {
            actions:
              i === 0
                ? {
                    normal: {
                      seed: this.#options.seed,
                      stream: noiseStream(sequence, 'actions'),
                      dims: [1, steps, actionDim],
                    },
                  }
                : { ref: 'plan/a' },
            timestep: f32([s.timestep]),
            alpha_bar: f32([s.alphaBar]),
            alpha_bar_prev: f32([s.alphaBarPrev]),
            video_tokens: { ref: 'plan/video_tokens' },
            text_tokens: { ref: 'plan/text_tokens' },
          },
          keep: { actions_next: 'plan/a' },
          ...(last ? { fetch: ['actions_next'] } : {}),
        });
        if (last) normalised = out.outputs.actions_next!.data as Float32Array;
      }
      const future = await this.#fetch('plan/x');
      const actionMs = performance.now() - tAction;

      if (!normalised || !allFinite(normalised))
        return noPlan('non_finite', 'the action head produced non-finite actions');
      if (!allFinite(future)) return noPlan('non_finite', 'the video DiT produced a non-finite future');
      const actions: Action[] = [];
      for (let k = 0; k < steps; k++) {
        actions.push({
          dx_m: normalised[k * actionDim]! * m.action.scale[0]!,
          dy_m: normalised[k * actionDim + 1]! * m.action.scale[1]!,
          dtheta_rad: normalised[k * actionDim + 2]! * m.action.scale[2]!,
        });
      }
      const timings: StageTimings = {
        encodeMs: this.#lastEncodeMs,
        historyMs,
        textMs,
        ditMs,
        actionMs,
        totalMs: performance.now() - t0 + this.#lastEncodeMs,
      };
      const plan: Plan = {
        ok: true,
        sequence,
        inputStampNs: newest.stampNs,
        instruction: text,
        actions,
        stepDtS: m.action.step_dt_s,
        futureLatents: future,
        futureDims: [channels, horizon, height, width],
        futureOffsets: [...m.sparse_offsets],
        historyChunks: stacked.ages.length,
        timings,
      };
      return plan;
    } catch (err) {
      if (err instanceof Cancelled) return noPlan('cancelled', 'cancelled between network calls');
      return noPlan('inference_error', (err as Error).message);
    } finally {
      await this.#engine.release(refs).catch(() => undefined);
    }
  }

  /**
   * Decodes future latents [C, N, h, w] with the fast preview decoder into one RGB image per chunk
   * ([N, 3, H, W] in [0, 1]: the last frame each latent decodes to). Call it after the plan has been handed to the
   * controller: it shares the inference queue and must not delay a trajectory.
   */
  async decodePreview(
    latents: Float32Array,
    dims: readonly [number, number, number, number],
  ): Promise<{ rgb: Float32Array; dims: readonly [number, number, number, number] }> {
    const [, n, ,] = dims;
    const out = await this.#engine.run({
      network: 'preview_decoder',
      feeds: { latent: { dtype: 'float32', dims: [1, ...dims], data: latents } },
      fetch: ['frames'],
    });
    const frames = out.outputs.frames!;
    const [, c, t, h, w] = frames.dims as [number, number, number, number, number];
    const plane = h * w;
    const rgb = new Float32Array(n * c * plane);
    for (let i = 0; i < n; i++) {
      // The decoder upsamples time 4× after the first latent: latent i ends at frame 4i.
      const f = Math.min(t - 1, 4 * i);
      for (let ch = 0; ch < c; ch++)
        rgb.set(
          (frames.data as Float32Array).subarray((ch * t + f) * plane, (ch * t + f + 1) * plane),
          (i * c + ch) * plane,
        );
    }
    return { rgb, dims: [n, c, h, w] };
  }

  async memory(): Promise<{ rssBytes: number; historyBytes: number }> {
    const m = await this.#engine.memory();
    return { rssBytes: m.rssBytes, historyBytes: this.history.capacityBytes };
  }

  async close(): Promise<void> {
    await this.#engine.close();
  }

  async #encodeText(text: string): Promise<{ ref: string; data: TensorData }> {
    const encoded =
      text === UNCONDITIONAL ? this.#tokenizer.encodeUnconditional() : this.#tokenizer.encode(text);
    const ref = `text/${this.#textCache.size}`;
    const out = await this.#engine.run({
      network: 'text_encoder',
      feeds: {
        input_ids: { dtype: 'int64', dims: [1, encoded.inputIds.length], data: encoded.inputIds },
        attention_mask: {
          dtype: 'int64',
          dims: [1, encoded.attentionMask.length],
          data: encoded.attentionMask,
        },
      },
      keep: { text_embeddings: ref },
      fetch: ['text_embeddings'],
    });
    const data = out.outputs.text_embeddings!;
    if (!allFinite(data.data as Float32Array))
      throw new PlannerError('the text encoder produced non-finite embeddings');
    const entry = { ref, data };
    this.#textCache.set(text, entry);
    return entry;
  }

  async #fetch(ref: string): Promise<Float32Array> {
    const t = await this.#engine.fetch(ref);
    return t.data as Float32Array;
  }

  async #warmUp(): Promise<{ ok: boolean; totalMs: number; reason?: string }> {
    const started = performance.now();
    const { height, width } = this.manifest.resolution;
    const frame = (i: number): ModelFrame => ({
      stampNs: BigInt(i) * 250_000_000n + 1n,
      data: new Float32Array(3 * height * width).fill(((i % 4) - 1.5) / 4),
    });
    for (let i = 0; i < 5; i++) await this.addFrame(frame(i));
    const outcome = await this.plan('warm up: walk forward');
    await this.resetEpisode();
    return outcome.ok
      ? { ok: true, totalMs: performance.now() - started }
      : { ok: false, totalMs: performance.now() - started, reason: outcome.reason };
  }
}

function f32(values: number[]): TensorData {
  return { dtype: 'float32', dims: [values.length], data: Float32Array.from(values) };
}

function concatBatch(a: TensorData, b: TensorData): TensorData {
  const data = new Float32Array(a.data.length + b.data.length);
  data.set(a.data as Float32Array, 0);
  data.set(b.data as Float32Array, a.data.length);
  return { dtype: 'float32', dims: [2, ...a.dims.slice(1)], data };
}
