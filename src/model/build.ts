import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { commitDirectory } from '../io/output';
import { type ModelManifest, MANIFEST_FORMAT, type NetworkEntry } from './manifest';
import type { NetworkDefinition, NetworkKey } from './network';
import { NETWORK_BUILDERS, NETWORK_ORDER } from './networks';
import type { DType } from './onnx/dtype';
import type { Tensor } from './onnx/graph';
import { writeModel } from './onnx/serialize';
import { latentGrid, type ModelPreset, pcmSigmas, WAN_LATENT_MEAN, WAN_LATENT_STD } from './presets';
import { writeTinyTokenizer } from './text/tiny-tokenizer';
import { checkpointWeights, type ResolvedWeights, seededWeights } from './weights/resolve';
import { SafetensorsFile } from './weights/safetensors';

export interface BuildModelOptions {
  preset: ModelPreset;
  outDir: string;
  floatType: DType;
  seed: number;
  /** .safetensors files, routed to networks by their tensor names, or `key=FILE` to name the network. */
  weights?: readonly string[];
  /** A Hugging Face tokenizer.json (umT5's for real weights); the generated tiny vocabulary otherwise. */
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
    const definitions = NETWORK_ORDER.map((key) =>
      NETWORK_BUILDERS[key](options.preset, {
        floatType: options.floatType,
        attention: options.attention ?? 'fused',
      }),
    );
    const routed = routeWeightFiles(definitions, options.weights ?? []);
    const networks: Partial<Record<NetworkKey, NetworkEntry>> = {};
    for (const def of definitions) {
      const files = routed.get(def.key) ?? [];
      const weights: ResolvedWeights = files.length
        ? await checkpointWeights(def, files, options.seed)
        : seededWeights(options.seed);
      try {
        const bytes = def.graph.parameterCount * (options.floatType === 'float16' ? 2 : 4);
        const external =
          options.externalData === 'always' ||
          (options.externalData !== 'never' && bytes > EXTERNAL_DATA_AUTO_BYTES);
        const started = Date.now();
        const written = writeModel(def.graph, join(tmpDir, `${def.key}.onnx`), weights.values, {
          externalData: external,
          docString: def.description,
        });
        log(
          `${def.key}: ${formatCount(def.graph.parameterCount)} parameters, ${formatCount(def.graph.macs)} MAC/call, ` +
            `${weights.provenance.kind}${files.length ? ` from ${files.map((f) => basename(f)).join(', ')}` : ` (seed ${options.seed})`}, ` +
            `${(written.bytes / 1024 ** 2).toFixed(1)} MiB in ${((Date.now() - started) / 1000).toFixed(1)} s`,
        );
        networks[def.key] = {
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
    const tokenizerPath = join(tmpDir, 'tokenizer.json');
    if (options.tokenizer) copyFileSync(options.tokenizer, tokenizerPath);
    else writeTinyTokenizer(tokenizerPath, options.preset.text.vocab);
    const manifest = manifestFor(
      options,
      networks as Record<NetworkKey, NetworkEntry>,
      sha256(readFileSync(tokenizerPath)),
    );
    writeFileSync(join(tmpDir, 'model.json'), JSON.stringify(manifest, null, 2) + '\n');
    commitDirectory(tmpDir, outDir, 'model-dir', options.force ?? false);
    return manifest;
  } catch (err) {
    rmSync(tmpDir, { recursive: true, force: true });
    throw err;
  }
}

function manifestFor(
  options: BuildModelOptions,
  networks: Record<NetworkKey, NetworkEntry>,
  tokenizerSha: string,
): ModelManifest {
  const p = options.preset;
  const grid = latentGrid(p);
  return {
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
    sparse_offsets: [...p.sparseOffsets],
    sampler: {
      shift: p.sampler.shift,
      pcm_phases: p.sampler.pcmPhases,
      pcm_sigmas: pcmSigmas(p.sampler.shift, p.sampler.pcmPhases, p.sampler.teacherSteps),
      teacher_steps: p.sampler.teacherSteps,
      guidance_scale: p.sampler.guidanceScale,
    },
    action: {
      horizon: p.action.horizon,
      action_dim: p.action.actionDim,
      step_dt_s: 1 / p.fps,
      scale: [...p.actionScale],
      ddim: { train_steps: p.ddim.trainSteps, steps: p.ddim.steps, beta_schedule: p.ddim.betaSchedule },
    },
    text: {
      max_tokens: p.text.maxTokens,
      vocab: p.text.vocab,
      dim: p.text.dModel,
      tokenizer: 'tokenizer.json',
      tokenizer_sha256: tokenizerSha,
    },
    history: { tokens: p.history.videoformer.queries, dim: p.history.videoformer.hidden },
    untrained: Object.values(networks).some(
      (n) => n.provenance.kind === 'seeded' || n.provenance.seededParameters.length > 0,
    ),
    networks,
  };
}

/**
 * Assigns each checkpoint file to the network whose parameter names it carries (`key=FILE` names it directly).
 * A file that matches no network is an error naming the file and its first tensors.
 */
export function routeWeightFiles(
  definitions: readonly NetworkDefinition[],
  files: readonly string[],
): Map<NetworkKey, string[]> {
  const routed = new Map<NetworkKey, string[]>();
  const byKey = new Map(definitions.map((d) => [d.key, d]));
  for (const spec of files) {
    const eq = spec.indexOf('=');
    const named = eq > 0 && byKey.has(spec.slice(0, eq) as NetworkKey);
    const file = named ? spec.slice(eq + 1) : spec;
    let key: NetworkKey | undefined = named ? (spec.slice(0, eq) as NetworkKey) : undefined;
    if (!key) {
      const st = SafetensorsFile.open(file);
      const names = [...st.entries.keys()];
      st.close();
      let best = 0;
      for (const d of definitions) {
        const own = new Set(d.graph.parameters.map((p) => p.name));
        const hits = names.filter((n) => own.has(n)).length;
        if (hits > best) {
          best = hits;
          key = d.key;
        }
      }
      if (!key || best < names.length / 2) {
        throw new Error(
          `${file}: its tensors (${names.slice(0, 5).join(', ')}…) match no network of this preset; ` +
            `name the network with KEY=FILE (keys: ${definitions.map((d) => d.key).join(', ')})`,
        );
      }
    }
    routed.set(key, [...(routed.get(key) ?? []), file]);
  }
  return routed;
}

export interface DryRunNetwork {
  key: NetworkKey;
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
  /** FLOPs (2 × MAC) of one plan cycle on the critical path: encode, history, DiT × phases, action head × steps. */
  tflopsPerPlan: number;
  weightBytes: number;
}

/** Describes every network of a preset without producing weights: parameter counts and FLOPs per plan. */
export function describeModel(preset: ModelPreset, floatType: DType): DryRunReport {
  const definitions = NETWORK_ORDER.map((key) => NETWORK_BUILDERS[key](preset, { floatType }));
  const calls: Record<NetworkKey, [number, boolean, string]> = {
    vae_encoder: [1, true, 'one new chunk per plan'],
    history_compressor: [1, true, 'fixed token count at any history length'],
    text_encoder: [0, false, 'once per instruction, cached'],
    dit_step: [preset.sampler.pcmPhases, true, `${preset.sampler.pcmPhases} PCM phases`],
    action_context: [1, true, 'once per plan'],
    action_step: [preset.ddim.steps, true, `${preset.ddim.steps} DDIM steps`],
    vae_decoder: [preset.sparseOffsets.length, false, 'preview, off the critical path (per future chunk)'],
    preview_decoder: [1, false, 'fast preview of all future chunks, off the critical path'],
  };
  const networks = definitions.map((d) => {
    const [n, critical, note] = calls[d.key];
    return {
      key: d.key,
      parameters: d.graph.parameterCount,
      macsPerCall: d.graph.macs,
      callsPerPlan: n,
      gflopsPerPlan: (2 * d.graph.macs * n) / 1e9,
      onCriticalPath: critical,
      note,
    };
  });
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
    networks,
    parameters: { total, byNetwork, breakdown },
    tflopsPerPlan: networks.filter((n) => n.onCriticalPath).reduce((a, n) => a + n.gflopsPerPlan, 0) / 1e3,
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
