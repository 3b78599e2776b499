import type { NetworkDefinition } from '../../src/model/network';
import type { Parameter } from '../../src/model/onnx/graph';
import { Rng } from '../../src/model/onnx/rng';
import type { ParameterValues } from '../../src/model/onnx/serialize';
import { latentGrid, type ModelPreset } from '../../src/model/presets';
import { seededValues } from '../../src/model/weights/seeded';
import type { DitStepInputs, Weights } from './reference/dit';

/** Test fixtures for the DiT step: random inputs in both ORT-feed and reference form, weights by name. */

export type Feeds = Record<string, { data: Float32Array | BigInt64Array; dims: readonly number[] }>;

export interface DitCase {
  feeds: Feeds;
  reference: DitStepInputs;
}

function normals(rng: Rng, n: number, std = 1): Float32Array {
  return rng.fillNormal(new Float32Array(n), std);
}

export function ditCase(
  preset: ModelPreset,
  options: {
    seed: number;
    textBatch: 1 | 2;
    sigma?: number;
    sigmaNext?: number;
    guidance?: number;
    chunkOffsets?: readonly number[];
  },
): DitCase {
  const rng = new Rng(options.seed, 99);
  const C = preset.latentChannels;
  const future = preset.sparseOffsets.length;
  const { height: h, width: w } = latentGrid(preset);
  const { textLen, textDim } = preset.dit;
  const { queries, hidden } = preset.history.videoformer;
  const x = normals(rng, C * future * h * w);
  const current = normals(rng, C * h * w);
  const text = Array.from({ length: options.textBatch }, () => normals(rng, textLen * textDim));
  const history = normals(rng, queries * hidden);
  const sigma = options.sigma ?? 0.8333;
  const sigmaNext = options.sigmaNext ?? 0.6373;
  const guidance = options.guidance ?? 5;
  const chunkOffsets = options.chunkOffsets ?? [0, ...preset.sparseOffsets];
  const textFlat = new Float32Array(options.textBatch * textLen * textDim);
  text.forEach((t, i) => textFlat.set(t, i * t.length));
  return {
    feeds: {
      x: { data: x, dims: [1, C, future, h, w] },
      sigma: { data: new Float32Array([sigma]), dims: [1] },
      sigma_next: { data: new Float32Array([sigmaNext]), dims: [1] },
      current: { data: current, dims: [1, C, 1, h, w] },
      text: { data: textFlat, dims: [options.textBatch, textLen, textDim] },
      guidance: { data: new Float32Array([guidance]), dims: [1] },
      history: { data: history, dims: [1, queries, hidden] },
      chunk_offsets: {
        data: BigInt64Array.from(chunkOffsets.map((o) => BigInt(o))),
        dims: [chunkOffsets.length],
      },
    },
    reference: { x, current, sigma, sigmaNext, guidance, text, history, chunkOffsets },
  };
}

/**
 * Seeded values with overrides by parameter name. At the declared init (linears std 0.02) a 2-block network is
 * almost the identity around its skip paths, so tests scale every normal-initialised tensor by `gain` (default 5)
 * to make attention, modulation and guidance matter. `liveHistory` gives every `attn3.to_out.0.weight` non-zero
 * values, as after Stage-2 training, so the history path is exercised (it is exactly zero at initialisation).
 */
export function ditValues(
  seed: number,
  options: { liveHistory?: boolean; gain?: number; overrides?: Record<string, Float32Array> } = {},
): ParameterValues {
  const gain = options.gain ?? 5;
  return (p: Parameter) => {
    const o = options.overrides?.[p.name];
    if (o) return o;
    const n = p.shape.reduce((a, b) => a * b, 1);
    if (options.liveHistory && /\.attn3\.to_out\.0\.weight$/.test(p.name)) {
      return Rng.forParameter(seed + 1, p.name).fillNormal(new Float32Array(n), 0.02 * gain);
    }
    const v = seededValues(p, seed);
    return p.init.kind === 'normal' ? v.map((x) => x * gain) : v;
  };
}

/**
 * The reference's weight lookup over a network's parameters (checkpoint layout), failing on unknown names;
 * `unused()` lists graph parameters the reference never read (so the graph has no tensor the equations lack).
 */
export function weightsByName(
  def: NetworkDefinition,
  values: ParameterValues,
): { W: Weights; unused: () => string[] } {
  const byName = new Map(def.graph.parameters.map((p) => [p.name, p]));
  const cache = new Map<string, Float32Array>();
  const W: Weights = (name) => {
    const p = byName.get(name);
    if (!p) throw new Error(`reference asks for ${name}, which the graph does not declare`);
    let v = cache.get(name);
    if (!v) cache.set(name, (v = values(p)));
    return v;
  };
  return { W, unused: () => [...byName.keys()].filter((n) => !cache.has(n)) };
}
