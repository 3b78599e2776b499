/**
 * Plainly written references of single Wan VAE layers (causal 3³ conv, RMS_norm) as loops over Float32Array in
 * PyTorch's [C, T, H, W] layout (batch 1), independent of the graph code, and the tests' harness: seeded weights,
 * the runtime's streaming call loop, clip helpers. Whole-network results are checked against the release's own
 * outputs (test/fixtures/official-tiny/vae), not against a hand-written network.
 */
import type { CacheSlot } from '../../../src/model/networks/vae/temporal';
import { fromFloat16Array } from '../../../src/model/onnx/dtype';
import type { GraphBuilder } from '../../../src/model/onnx/graph';
import { Rng } from '../../../src/model/onnx/rng';
import type { ParameterValues } from '../../../src/model/onnx/serialize';
import * as ort from 'onnxruntime-node';
import { testWeights as perturbedWeights } from './weights';

export interface Vol {
  c: number;
  t: number;
  h: number;
  w: number;
  data: Float32Array;
}
export type Weights = (name: string) => Float32Array;

export function vol(c: number, t: number, h: number, w: number, data?: Float32Array): Vol {
  return { c, t, h, w, data: data ?? new Float32Array(c * t * h * w) };
}

/** Frames [start, end) of v. */
export function framesOf(v: Vol, start: number, end: number): Vol {
  const out = vol(v.c, end - start, v.h, v.w);
  const plane = v.h * v.w;
  for (let c = 0; c < v.c; c++)
    out.data.set(v.data.subarray((c * v.t + start) * plane, (c * v.t + end) * plane), c * out.t * plane);
  return out;
}

export function catFrames(a: Vol, b: Vol): Vol {
  const out = vol(a.c, a.t + b.t, a.h, a.w);
  const plane = a.h * a.w;
  for (let c = 0; c < a.c; c++) {
    out.data.set(a.data.subarray(c * a.t * plane, (c + 1) * a.t * plane), c * out.t * plane);
    out.data.set(b.data.subarray(c * b.t * plane, (c + 1) * b.t * plane), (c * out.t + a.t) * plane);
  }
  return out;
}

/**
 * Conv3d without temporal padding: weight [O, C, kt, kh, kw], stride (st, s, s), spatial zero padding
 * top/bottom/left/right.
 */
export function conv3d(
  x: Vol,
  weight: Float32Array,
  bias: Float32Array | undefined,
  out: number,
  kernel: [number, number, number],
  options: { strideT?: number; stride?: number; pad?: [number, number, number, number] } = {},
): Vol {
  const [kt, kh, kw] = kernel;
  const st = options.strideT ?? 1;
  const s = options.stride ?? 1;
  const [top, left, bottom, right] = options.pad ?? [0, 0, 0, 0];
  const to = Math.floor((x.t - kt) / st) + 1;
  const ho = Math.floor((x.h + top + bottom - kh) / s) + 1;
  const wo = Math.floor((x.w + left + right - kw) / s) + 1;
  const y = vol(out, to, ho, wo);
  for (let o = 0; o < out; o++) {
    const b = bias ? bias[o]! : 0;
    y.data.fill(b, o * to * ho * wo, (o + 1) * to * ho * wo);
    for (let i = 0; i < x.c; i++) {
      for (let a = 0; a < kt; a++) {
        for (let p = 0; p < kh; p++) {
          for (let q = 0; q < kw; q++) {
            const wv = weight[(((o * x.c + i) * kt + a) * kh + p) * kw + q]!;
            for (let f = 0; f < to; f++) {
              const src = (i * x.t + f * st + a) * x.h;
              const dst = (o * to + f) * ho;
              for (let r = 0; r < ho; r++) {
                const yy = r * s + p - top;
                if (yy < 0 || yy >= x.h) continue;
                const rowIn = (src + yy) * x.w;
                const rowOut = (dst + r) * wo;
                for (let col = 0; col < wo; col++) {
                  const xx = col * s + q - left;
                  if (xx >= 0 && xx < x.w) y.data[rowOut + col]! += wv * x.data[rowIn + xx]!;
                }
              }
            }
          }
        }
      }
    }
  }
  return y;
}

/** The cache frames (if any) in front of `x`, then zero frames up to the 2 a 3-frame causal kernel looks back. */
function causalInput(x: Vol, cache: Vol | null): Vol {
  const input = cache ? catFrames(cache, x) : x;
  const missing = 2 - (cache ? cache.t : 0);
  return missing > 0 ? catFrames(vol(x.c, missing, x.h, x.w), input) : input;
}

/** Wan's CausalConv3d 3×3×3: cache frames (if any) in front, zero frames up to 2, spatial padding 1. */
export function causalConv3d(
  x: Vol,
  cache: Vol | null,
  weight: Float32Array,
  bias: Float32Array,
  out: number,
): Vol {
  return conv3d(causalInput(x, cache), weight, bias, out, [3, 3, 3], { pad: [1, 1, 1, 1] });
}

/** F.normalize over channels (eps 1e-12) · √C · γ. */
export function rmsNorm(x: Vol, gamma: Float32Array): Vol {
  const y = vol(x.c, x.t, x.h, x.w);
  const n = x.t * x.h * x.w;
  for (let j = 0; j < n; j++) {
    let sum = 0;
    for (let c = 0; c < x.c; c++) sum += x.data[c * n + j]! ** 2;
    const scale = Math.sqrt(x.c) / Math.max(Math.sqrt(sum), 1e-12);
    for (let c = 0; c < x.c; c++) y.data[c * n + j] = x.data[c * n + j]! * scale * gamma[c]!;
  }
  return y;
}

// ── Test harness (not part of the reference arithmetic): weights and the runtime's streaming loop over ORT. ──

/** The shared test weights (`./weights`) as the values for `modelBytes` and a by-name lookup for the reference. */
export function testWeights(g: GraphBuilder, seed: number): { values: ParameterValues; W: Weights } {
  const byName = perturbedWeights(g, seed);
  const W: Weights = (name) => {
    const v = byName.get(name);
    if (!v) throw new Error(`reference wants ${name}, which the graph does not have`);
    return v;
  };
  return { values: (p) => W(p.name), W };
}

export interface Feed {
  data: Float32Array | BigInt64Array;
  dims: readonly number[];
}

/**
 * Runs a streaming VAE graph call by call as the runtime does: zero caches first (in the graph's float type), then
 * each call's cache outputs. One session for all calls. Float outputs come back as fp32 (fp16 caches widened).
 */
export async function runStream(
  model: Uint8Array,
  slots: readonly CacheSlot[],
  calls: readonly Record<string, Feed>[],
  ep: 'cpu' | 'webgpu' = 'cpu',
): Promise<Record<string, { data: Float32Array; dims: readonly number[] }>[]> {
  const session = await ort.InferenceSession.create(model, { executionProviders: [ep], logSeverityLevel: 3 });
  try {
    let caches: Record<string, ort.Tensor> = {};
    for (const s of slots) {
      const n = s.shape.reduce((a, b) => a * b, 1);
      caches[s.input] =
        s.dtype === 'float16'
          ? new ort.Tensor('float16', new Uint16Array(n), s.shape)
          : new ort.Tensor('float32', new Float32Array(n), s.shape);
    }
    const results = [];
    for (let i = 0; i < calls.length; i++) {
      const feeds: Record<string, ort.Tensor> = { ...caches };
      for (const [name, f] of Object.entries(calls[i]!)) {
        feeds[name] = new ort.Tensor(f.data instanceof BigInt64Array ? 'int64' : 'float32', f.data, f.dims);
      }
      feeds.first_chunk = new ort.Tensor('int64', BigInt64Array.from([i === 0 ? 1n : 0n]), [1]);
      const out = await session.run(feeds);
      caches = {};
      for (const s of slots) caches[s.input] = out[s.output]!;
      results.push(Object.fromEntries(Object.entries(out).map(([name, t]) => [name, widened(t)])));
    }
    return results;
  } finally {
    await session.release();
  }
}

function widened(t: ort.Tensor): { data: Float32Array; dims: readonly number[] } {
  const data = t.type === 'float16' ? fromFloat16Array(t.data as Uint16Array) : (t.data as Float32Array);
  return { data, dims: t.dims };
}

/** A smooth pseudo-random clip in [−1, 1], [C, T, H, W]. */
export function testClip(c: number, t: number, h: number, w: number, seed: number): Vol {
  const v = Rng.forParameter(seed, 'clip').fillUniform(new Float32Array(c * t * h * w), -1, 1);
  return vol(c, t, h, w, v);
}

export function feedOf(v: Vol): Feed {
  return { data: v.data, dims: [1, v.c, v.t, v.h, v.w] };
}

export function volOf(out: { data: Float32Array; dims: readonly number[] }): Vol {
  const [, c, t, h, w] = out.dims as number[];
  return vol(c!, t!, h!, w!, out.data);
}
