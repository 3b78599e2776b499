import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import type { NetworkDefinition } from '../../src/model/network';
import { fromFloat16Array, toFloat16Array } from '../../src/model/onnx/dtype';
import type { ParameterValues } from '../../src/model/onnx/serialize';
import { modelBytes } from '../../src/model/onnx/serialize';
import { type ModelPreset, TINY } from '../../src/model/presets';
import { SafetensorsFile } from '../../src/model/weights/safetensors';
import { type FixtureTensor, OFFICIAL_TINY } from '../official-fixtures';

/**
 * The official-tiny golden fixtures (test/fixtures/official-tiny, made by the release's own code; see its README):
 * a tensor reader for the small fixture files, the preset of their checkpoint, the checkpoint's weights under our
 * graph names (the release's names without `vgm.`), and the comparison metric of every fixture test.
 */

export { f32, readFixture, type FixtureTensor } from '../official-fixtures';
export { relativeError as rel } from '../official-fixtures';
export const FIXTURES = OFFICIAL_TINY;
const CHECKPOINT = join(FIXTURES, 'svn_ckpt', 'diffusion_pytorch_model.safetensors');

export function i64(t: Map<string, FixtureTensor>, name: string): BigInt64Array {
  const v = t.get(name);
  if (!v || !(v.data instanceof BigInt64Array)) throw new Error(`fixture has no int64 tensor ${name}`);
  return v.data;
}

interface SvnConfig {
  vgm_dim: number;
  vgm_ffn_dim: number;
  vgm_num_heads: number;
  vgm_num_layers: number;
  vgm_qformer_config: Record<string, number>;
  vgm_video_former_config: Record<string, number>;
}

/** The fixture checkpoint's sizes (svn_ckpt/config.json) on the tiny preset; DiT text width = language_dim (4096). */
export function fixturePreset(): ModelPreset {
  const c = JSON.parse(readFileSync(join(FIXTURES, 'svn_ckpt', 'config.json'), 'utf8')) as SvnConfig;
  const q = c.vgm_qformer_config;
  const v = c.vgm_video_former_config;
  return {
    ...TINY,
    name: 'checkpoint',
    dit: {
      ...TINY.dit,
      dim: c.vgm_dim,
      ffn: c.vgm_ffn_dim,
      heads: c.vgm_num_heads,
      layers: c.vgm_num_layers,
      textDim: q.language_dim!,
    },
    history: {
      qformer: {
        dim: q.dim!,
        depth: q.depth!,
        heads: q.heads ?? 8,
        numLatents: q.num_latents ?? 256,
        ffMult: q.ff_mult ?? 4,
        maxFrames: q.max_frames ?? 512,
      },
      videoformer: {
        dim: v.dim!,
        depth: v.depth!,
        heads: v.heads ?? 8,
        dimHead: v.dim_head ?? 64,
        numLatents: v.num_latents ?? 256,
        numFrame: v.num_frame ?? 64,
        ffMult: v.ff_mult ?? 4,
      },
    },
  };
}

/** The fixture checkpoint: tensor shapes by graph name (`vgm.` stripped) and a value lookup for graph parameters. */
export function fixtureCheckpoint(): {
  shapes: Map<string, number[]>;
  values: ParameterValues;
  close(): void;
} {
  const file = SafetensorsFile.open(CHECKPOINT);
  const shapes = new Map<string, number[]>();
  for (const [name, e] of file.entries) {
    if (!name.startsWith('vgm.')) throw new Error(`checkpoint tensor ${name} lacks the vgm. prefix`);
    shapes.set(name.slice(4), e.shape);
  }
  return {
    shapes,
    values: (p) => file.read(`vgm.${p.name}`),
    close: () => file.close(),
  };
}

/** Graph parameters the checkpoint lacks or shapes differently; checkpoint tensors no graph declares. */
export function checkpointDifferences(
  defs: readonly NetworkDefinition[],
  shapes: ReadonlyMap<string, number[]>,
): { missing: string[]; misshaped: string[]; unused: string[] } {
  const declared = new Set<string>();
  const missing: string[] = [];
  const misshaped: string[] = [];
  for (const p of defs.flatMap((d) => d.graph.parameters)) {
    declared.add(p.name);
    const s = shapes.get(p.name);
    if (!s) missing.push(p.name);
    else if (s.join(',') !== p.shape.join(',')) misshaped.push(`${p.name} [${p.shape}] vs [${s}]`);
  }
  return { missing, misshaped, unused: [...shapes.keys()].filter((n) => !declared.has(n)) };
}

export type Feeds = Record<string, { data: Float32Array | BigInt64Array; dims: readonly number[] }>;

/**
 * Runs a network on ORT CPU with fp32/int64 feeds, converting the inputs the graph declares as float16; returns
 * every output as fp32. The session is released afterwards.
 */
export async function runNetwork(
  def: NetworkDefinition,
  values: ParameterValues,
  feeds: Feeds,
): Promise<Record<string, { data: Float32Array; dims: readonly number[] }>> {
  const session = await ort.InferenceSession.create(modelBytes(def.graph, values), {
    executionProviders: ['cpu'],
    logSeverityLevel: 3,
  });
  try {
    const inputs: Record<string, ort.Tensor> = {};
    for (const [name, f] of Object.entries(feeds)) {
      const declared = def.graph.inputs.find((t) => t.name === name)?.dtype;
      if (f.data instanceof BigInt64Array) inputs[name] = new ort.Tensor('int64', f.data, f.dims);
      else if (declared === 'float16')
        inputs[name] = new ort.Tensor('float16', toFloat16Array(f.data), f.dims);
      else inputs[name] = new ort.Tensor('float32', f.data, f.dims);
    }
    const outs = await session.run(inputs);
    const result: Record<string, { data: Float32Array; dims: readonly number[] }> = {};
    for (const [name, t] of Object.entries(outs)) {
      const data = t.type === 'float16' ? fromFloat16Array(t.data as Uint16Array) : (t.data as Float32Array);
      result[name] = { data, dims: t.dims };
    }
    return result;
  } finally {
    await session.release();
  }
}
