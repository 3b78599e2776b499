import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { commitDirectory } from '../io/output';
import { type ModelManifest, MANIFEST_FORMAT, type NetworkEntry, sealManifest } from './manifest';
import type { NetworkDefinition, NetworkKey } from './network';
import { NETWORK_KEYS } from './network';
import { NETWORK_BUILDERS } from './networks';
import type { DType } from './onnx/dtype';
import type { Tensor } from './onnx/graph';
import { writeModel } from './onnx/serialize';
import type { OpenCheckpoint } from './checkpoint/open';
import { CheckpointError } from './weights/checkpoint-io';
import { hashCheckpoint } from './checkpoint/open';
import { latentGrid, type ModelPreset, WAN_LATENT_MEAN, WAN_LATENT_STD } from './presets';
import { writeTinyTokenizer } from './text/tiny-tokenizer';
import {
  checkpointWeightsFromSources,
  type ResolvedWeights,
  seededWeights,
  unclaimedTensors,
} from './weights/resolve';

export interface BuildModelOptions {
  preset: ModelPreset;
  outDir: string;
  floatType: DType;
  seed: number;
  /** The downloaded release (`openCheckpoint`): its networks' weights, tokenizer and sizes. Seeded otherwise. */
  checkpoint?: OpenCheckpoint;
  /** For seeded builds: a Hugging Face tokenizer.json; the generated tiny vocabulary otherwise. */
  tokenizer?: string;
  /** Attention kernels: fused MultiHeadAttention (default) or MatMul/Softmax (exact on every EP, more memory). */
  attention?: 'fused' | 'unfused';
  /** Writes initializers to `<file>.data` beside each model; `auto` does so above 1 GiB of weights. */
  externalData?: 'auto' | 'always' | 'never';
  log?: (line: string) => void;
  /** Replace an existing model directory at outDir (only one svnav built; see io/output.ts). Default false. */
  force?: boolean;
}

const EXTERNAL_DATA_AUTO_BYTES = 1024 ** 3;

/** Builds every network of a preset into a model directory with its manifest. Writes atomically (temp dir + rename). */
export async function buildModelDirectory(options: BuildModelOptions): Promise<ModelManifest> {
  const log = options.log ?? (() => undefined);
  const outDir = resolve(options.outDir);
  const tmpDir = `${outDir}.partial-${process.pid}`;
  rmSync(tmpDir, { recursive: true, force: true });
  mkdirSync(tmpDir, { recursive: true });
  try {
    const definitions = NETWORK_KEYS.map((key) =>
      NETWORK_BUILDERS[key](options.preset, {
        floatType: options.floatType,
        attention: options.attention ?? 'fused',
      }),
    );
    const checkpoint = options.checkpoint;
    if (checkpoint) refuseUnusedTensors(checkpoint, definitions);
    const networks: Partial<Record<NetworkKey, NetworkEntry>> = {};
    for (const def of definitions) {
      networks[def.key] = await writeNetwork(def, tmpDir, options, log);
    }
    const tokenizerPath = join(tmpDir, 'tokenizer.json');
    const tokenizer = checkpoint?.folder.tokenizerPath ?? options.tokenizer;
    if (tokenizer) copyFileSync(tokenizer, tokenizerPath);
    else writeTinyTokenizer(tokenizerPath, options.preset.text.vocab);
    const manifest = manifestFor(
      options,
      networks as Record<NetworkKey, NetworkEntry>,
      sha256(readFileSync(tokenizerPath)),
      checkpoint ? await hashCheckpoint(checkpoint.folder) : [],
    );
    writeFileSync(join(tmpDir, 'model.json'), JSON.stringify(manifest, null, 2) + '\n');
    commitDirectory(tmpDir, outDir, 'model-dir', options.force ?? false);
    return manifest;
  } catch (err) {
    rmSync(tmpDir, { recursive: true, force: true });
    throw err;
  }
}

/** Every checkpoint tensor must be claimed by some network: a leftover means the folder is another architecture. */
function refuseUnusedTensors(checkpoint: OpenCheckpoint, definitions: readonly NetworkDefinition[]): void {
  const unused = unclaimedTensors(Object.values(checkpoint.views).flat(), definitions);
  if (unused.length === 0) return;
  const lines = unused.map(
    (u) =>
      `${u.path}: ${u.names.length} tensors no network uses: ${u.names.slice(0, 12).join(', ')}${u.names.length > 12 ? ', …' : ''}`,
  );
  throw new CheckpointError(
    checkpoint.folder.dir,
    `does not fit the architecture its config.json describes:\n  ${lines.join('\n  ')}`,
  );
}

/** One network's .onnx (and external data) in the temporary directory, with its manifest entry. */
async function writeNetwork(
  def: NetworkDefinition,
  tmpDir: string,
  options: BuildModelOptions,
  log: (line: string) => void,
): Promise<NetworkEntry> {
  const views = options.checkpoint?.views[def.key] ?? [];
  const weights: ResolvedWeights = views.length
    ? await checkpointWeightsFromSources(def, views, options.seed)
    : seededWeights(options.seed);
  try {
    const bytes = def.graph.parameterCount * (options.floatType === 'float16' ? 2 : 4);
    const external =
      options.externalData === 'always' ||
      (options.externalData !== 'never' && bytes > EXTERNAL_DATA_AUTO_BYTES);
    const started = Date.now();
    const written = writeModel(def.graph, join(tmpDir, `${def.key}.onnx`), weights.pieces, {
      externalData: external,
      docString: def.description,
    });
    log(
      `${def.key}: ${formatCount(def.graph.parameterCount)} parameters, ${formatCount(def.graph.macs)} MAC/call, ` +
        `${weights.provenance.kind}${views.length ? ` from ${views.map((v) => basename(v.source.path)).join(', ')}` : ` (seed ${options.seed})`}, ` +
        `${(written.bytes / 1024 ** 2).toFixed(1)} MiB in ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
    return {
      file: `${def.key}.onnx`,
      sha256: written.modelSha256,
      ...(written.dataPath
        ? { data_file: basename(written.dataPath), data_sha256: written.dataSha256! }
        : {}),
      dtype: options.floatType === 'float16' ? 'float16' : 'float32',
      description: def.description,
      inputs: def.graph.inputs.map(spec),
      outputs: def.graph.outputs.map(spec),
      parameters: def.graph.parameterCount,
      macs: def.graph.macs,
      provenance: weights.provenance,
      ...(def.metadata ? { metadata: def.metadata } : {}),
    };
  } finally {
    weights.close();
  }
}

function manifestFor(
  options: BuildModelOptions,
  networks: Record<NetworkKey, NetworkEntry>,
  tokenizerSha: string,
  sources: ModelManifest['sources'],
): ModelManifest {
  const p = options.preset;
  const grid = latentGrid(p);
  const trained = (keys: NetworkKey[]) =>
    keys.every(
      (k) => networks[k].provenance.kind === 'loaded' && networks[k].provenance.seededParameters.length === 0,
    );
  return sealManifest({
    format: MANIFEST_FORMAT,
    created_by: 'sparse_video_nav svnav build-model',
    preset: p.name,
    dtype: options.floatType === 'float16' ? 'float16' : 'float32',
    attention: options.attention ?? 'fused',
    resolution: { ...p.resolution },
    fps: p.fps,
    chunk_frames: p.chunkFrames,
    latent: {
      channels: p.latentChannels,
      height: grid.height,
      width: grid.width,
      mean: [...WAN_LATENT_MEAN],
      std: [...WAN_LATENT_STD],
    },
    reference_chunks: p.referenceChunks,
    future_chunk_offsets: [...p.futureChunkOffsets],
    sampler: {
      kind: 'flow_unipc',
      steps: p.sampler.steps,
      num_train_timesteps: p.sampler.numTrainTimesteps,
      shift: p.sampler.shift,
      solver_order: 2,
      solver_type: 'bh2',
    },
    history: {
      max_chunks: p.history.qformer.maxFrames,
      tokens: p.history.videoformer.numLatents,
      dim: p.history.videoformer.dim,
    },
    text: {
      text_len: p.text.textLen,
      dit_text_len: p.dit.textLen,
      vocab: p.text.vocab,
      dim: p.text.dim,
      dit_dim: p.dit.textDim,
      tokenizer: 'tokenizer.json',
      tokenizer_sha256: tokenizerSha,
    },
    action: {
      horizon: p.action.horizon,
      action_dim: p.action.actionDim,
      step_dt_s: 1 / p.fps,
      scale: [...p.actionScale],
      chunks: p.action.chunks,
      ddim: { train_steps: p.ddim.trainSteps, steps: p.ddim.steps, beta_schedule: p.ddim.betaSchedule },
    },
    sources,
    trained: {
      video_generator: trained([
        'vae_encoder',
        'history_compressor',
        'text_encoder',
        'dit_step',
        'vae_decoder',
      ]),
      action_head: trained(['action_context', 'action_step']),
    },
    networks,
  });
}

export interface DryRunNetwork {
  key: NetworkKey;
  /** History chunks the row was counted at (history_compressor only). */
  historyChunks?: number;
  parameters: number;
  macsPerCall: number;
  callsPerPlan: number;
  gflopsPerPlan: number;
  onCriticalPath: boolean;
  note: string;
}

export interface DryRunReport {
  preset: string;
  resolution: { height: number; width: number };
  dtype: DType;
  networks: DryRunNetwork[];
  parameters: {
    total: number;
    byNetwork: Record<string, number>;
    breakdown: Record<string, Record<string, number>>;
  };
  /** FLOPs (2 × MAC) of one plan cycle on the critical path, per history length. */
  tflopsPerPlan: { historyChunks: number; tflops: number }[];
  weightBytes: number;
}

/** Calls per plan of each network in the release's plan cycle, whether it delays the plan, and why. */
function callsPerPlan(preset: ModelPreset): Record<NetworkKey, [number, boolean, string]> {
  const future = preset.futureChunkOffsets.length;
  return {
    vae_encoder: [
      3.25,
      true,
      'in 4-frame calls: the reference clip (1 + 4 + 4 frames, own caches) + the newest history chunk',
    ],
    history_compressor: [1, true, 'Q-Former + Video-Former over every history chunk'],
    text_encoder: [0, false, 'once per instruction, cached'],
    dit_step: [preset.sampler.steps, true, `${preset.sampler.steps} UniPC steps, one forward each`],
    action_context: [1, true, 'learned action head (seeded until weights exist)'],
    action_step: [preset.ddim.steps, true, `${preset.ddim.steps} DDIM steps`],
    vae_decoder: [
      preset.referenceChunks + future,
      false,
      `all ${preset.referenceChunks + future} latents for the imagined video (the first 4 feed the geometric action source)`,
    ],
  };
}

/** Describes every network without producing weights: parameters, and FLOPs per plan at each history length. */
export function describeModel(
  preset: ModelPreset,
  floatType: DType,
  historyChunks: readonly number[] = [1, 15, 45],
): DryRunReport {
  const build = (key: NetworkKey, chunks?: number) =>
    NETWORK_BUILDERS[key](preset, {
      floatType,
      ...(chunks ? { nominalDims: { history_chunks: chunks } } : {}),
    });
  const definitions = NETWORK_KEYS.map((key) => build(key));
  const calls = callsPerPlan(preset);
  const row = (d: NetworkDefinition, chunks?: number): DryRunNetwork => {
    const [n, critical, note] = calls[d.key];
    return {
      key: d.key,
      ...(chunks ? { historyChunks: chunks } : {}),
      parameters: d.graph.parameterCount,
      macsPerCall: d.graph.macs,
      callsPerPlan: n,
      gflopsPerPlan: (2 * d.graph.macs * n) / 1e9,
      onCriticalPath: critical,
      note: chunks ? `${note} (${chunks} chunks)` : note,
    };
  };
  const history = historyChunks.map((n) => row(build('history_compressor', n), n));
  const fixed = definitions.filter((d) => d.key !== 'history_compressor').map((d) => row(d));
  const fixedTflops = fixed.filter((n) => n.onCriticalPath).reduce((a, n) => a + n.gflopsPerPlan, 0) / 1e3;
  const byNetwork: Record<string, number> = {};
  const breakdown: Record<string, Record<string, number>> = {};
  for (const d of definitions) {
    byNetwork[d.key] = d.graph.parameterCount;
    breakdown[d.key] = d.graph.parameterCountsBy(1);
  }
  const total = definitions.reduce((a, d) => a + d.graph.parameterCount, 0);
  return {
    preset: preset.name,
    resolution: { ...preset.resolution },
    dtype: floatType,
    networks: [...fixed.slice(0, 1), ...history, ...fixed.slice(1)],
    parameters: { total, byNetwork, breakdown },
    tflopsPerPlan: history.map((h) => ({
      historyChunks: h.historyChunks!,
      tflops: fixedTflops + h.gflopsPerPlan / 1e3,
    })),
    weightBytes: total * (floatType === 'float16' ? 2 : 4),
  };
}

function spec(t: Tensor): { name: string; dtype: string; shape: (number | string)[] } {
  return { name: t.name, dtype: t.dtype, shape: [...t.shape] };
}

function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

export function formatCount(n: number): string {
  if (n >= 1e12) return `${(n / 1e12).toFixed(2)} T`;
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} G`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)} M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} k`;
  return String(n);
}
