/**
 * Plainly written reference of the Wan2.1 VAE and the TAEHV preview decoder: loops over Float32Array in PyTorch's
 * [C, T, H, W] layout (batch 1), following the upstream forward passes step by step — including Wan's chunk loop
 * with its feature-cache list (None at the start, 1-frame caches after the first chunk, "Rep" for the time
 * upsampler) — and independent of the graph code. Weights are looked up by checkpoint name.
 */
import type { CacheSlot } from '../../../src/model/networks/vae/temporal';
import type { GraphBuilder } from '../../../src/model/onnx/graph';
import { Rng } from '../../../src/model/onnx/rng';
import type { ParameterValues } from '../../../src/model/onnx/serialize';
import type { ModelPreset } from '../../../src/model/presets';
import { WAN_LATENT_MEAN, WAN_LATENT_STD } from '../../../src/model/presets';
import { seededValues } from '../../../src/model/weights/seeded';
import { runModel } from '../ort';

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

function catChannels(a: Vol, b: Vol): Vol {
  const out = vol(a.c + b.c, a.t, a.h, a.w);
  out.data.set(a.data, 0);
  out.data.set(b.data, a.data.length);
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

function map(x: Vol, f: (v: number) => number): Vol {
  return vol(x.c, x.t, x.h, x.w, x.data.map(f));
}
const silu = (x: Vol) => map(x, (v) => v / (1 + Math.exp(-v)));
const relu = (x: Vol) => map(x, (v) => Math.max(0, v));
function plus(a: Vol, b: Vol): Vol {
  return vol(
    a.c,
    a.t,
    a.h,
    a.w,
    a.data.map((v, i) => v + b.data[i]!),
  );
}

/** Wan's feature cache list: one entry per causal layer, walked in order by an index each call. */
class FeatCache {
  readonly entries: (Vol | 'Rep' | null)[] = [];
  index = 0;
  next(): Vol | 'Rep' | null {
    return this.entries[this.index] ?? null;
  }
  set(v: Vol | 'Rep'): void {
    this.entries[this.index++] = v;
  }
}

/** A cached causal conv, as Wan calls it: keep the last 2 input frames (with the previous cache's last if short). */
function cachedConv(x: Vol, feat: FeatCache, W: Weights, name: string, out: number): Vol {
  const prev = feat.next() as Vol | null;
  let keep = framesOf(x, Math.max(0, x.t - 2), x.t);
  if (keep.t < 2 && prev) keep = catFrames(framesOf(prev, prev.t - 1, prev.t), keep);
  const y = causalConv3d(x, prev, W(`${name}.weight`), W(`${name}.bias`), out);
  feat.set(keep);
  return y;
}

function pointwise(x: Vol, W: Weights, name: string, out: number): Vol {
  return conv3d(x, W(`${name}.weight`), W(`${name}.bias`), out, [1, 1, 1]);
}

function residual(x: Vol, feat: FeatCache, W: Weights, name: string, inDim: number, outDim: number): Vol {
  const h = inDim !== outDim ? pointwise(x, W, `${name}.conv_shortcut`, outDim) : x;
  let y = silu(rmsNorm(x, W(`${name}.norm1.gamma`)));
  y = cachedConv(y, feat, W, `${name}.conv1`, outDim);
  y = silu(rmsNorm(y, W(`${name}.norm2.gamma`)));
  y = cachedConv(y, feat, W, `${name}.conv2`, outDim);
  return plus(y, h);
}

function attention(x: Vol, W: Weights, name: string): Vol {
  const c = x.c;
  const n = x.h * x.w;
  const normed = rmsNorm(x, W(`${name}.norm.gamma`));
  const qkv = conv3d(normed, W(`${name}.to_qkv.weight`), W(`${name}.to_qkv.bias`), 3 * c, [1, 1, 1]);
  const mixed = vol(c, x.t, x.h, x.w);
  const at = (ch: number, f: number, j: number) => qkv.data[(ch * x.t + f) * n + j]!;
  for (let f = 0; f < x.t; f++) {
    for (let i = 0; i < n; i++) {
      const scores = new Float64Array(n);
      let max = -Infinity;
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let ch = 0; ch < c; ch++) s += at(ch, f, i) * at(c + ch, f, j);
        scores[j] = s / Math.sqrt(c);
        max = Math.max(max, scores[j]!);
      }
      let total = 0;
      for (let j = 0; j < n; j++) total += scores[j] = Math.exp(scores[j]! - max);
      for (let ch = 0; ch < c; ch++) {
        let v = 0;
        for (let j = 0; j < n; j++) v += (scores[j]! / total) * at(2 * c + ch, f, j);
        mixed.data[(ch * x.t + f) * n + i] = v;
      }
    }
  }
  return plus(conv3d(mixed, W(`${name}.proj.weight`), W(`${name}.proj.bias`), c, [1, 1, 1]), x);
}

function midBlock(x: Vol, feat: FeatCache, W: Weights, name: string, dim: number): Vol {
  let y = residual(x, feat, W, `${name}.resnets.0`, dim, dim);
  y = attention(y, W, `${name}.attentions.0`);
  return residual(y, feat, W, `${name}.resnets.1`, dim, dim);
}

function downsample(x: Vol, feat: FeatCache, W: Weights, name: string, dim: number, temporal: boolean): Vol {
  let y = conv3d(x, W(`${name}.resample.1.weight`), W(`${name}.resample.1.bias`), dim, [1, 3, 3], {
    stride: 2,
    pad: [0, 0, 1, 1],
  });
  if (!temporal) return y;
  const prev = feat.next() as Vol | null;
  if (!prev) {
    feat.set(y);
    return y;
  }
  const keep = framesOf(y, y.t - 1, y.t);
  y = conv3d(
    catFrames(framesOf(prev, prev.t - 1, prev.t), y),
    W(`${name}.time_conv.weight`),
    W(`${name}.time_conv.bias`),
    dim,
    [3, 1, 1],
    {
      strideT: 2,
    },
  );
  feat.set(keep);
  return y;
}

function upsample(x: Vol, feat: FeatCache, W: Weights, name: string, dim: number, temporal: boolean): Vol {
  let y = x;
  if (temporal) {
    const prev = feat.next();
    if (prev === null) {
      feat.set('Rep');
    } else {
      let keep = framesOf(x, Math.max(0, x.t - 2), x.t);
      if (keep.t < 2)
        keep = catFrames(prev === 'Rep' ? vol(x.c, 1, x.h, x.w) : framesOf(prev, prev.t - 1, prev.t), keep);
      const doubled = causalConv3dTime(
        x,
        prev === 'Rep' ? null : prev,
        W(`${name}.time_conv.weight`),
        W(`${name}.time_conv.bias`),
        2 * dim,
      );
      feat.set(keep);
      // channels (2, C): frame 2f + s takes channel block s
      y = vol(dim, 2 * x.t, x.h, x.w);
      const plane = x.h * x.w;
      for (let s = 0; s < 2; s++) {
        for (let c = 0; c < dim; c++) {
          for (let f = 0; f < x.t; f++) {
            y.data.set(
              doubled.data.subarray(((s * dim + c) * x.t + f) * plane, ((s * dim + c) * x.t + f + 1) * plane),
              (c * y.t + 2 * f + s) * plane,
            );
          }
        }
      }
    }
  }
  const up = vol(y.c, y.t, 2 * y.h, 2 * y.w);
  for (let c = 0; c < y.c; c++) {
    for (let f = 0; f < y.t; f++) {
      for (let r = 0; r < up.h; r++) {
        for (let col = 0; col < up.w; col++) {
          up.data[((c * y.t + f) * up.h + r) * up.w + col] =
            y.data[((c * y.t + f) * y.h + (r >> 1)) * y.w + (col >> 1)]!;
        }
      }
    }
  }
  return conv3d(up, W(`${name}.resample.1.weight`), W(`${name}.resample.1.bias`), dim / 2, [1, 3, 3], {
    pad: [1, 1, 1, 1],
  });
}

/** The (3, 1, 1) causal conv with padding (1, 0, 0) → temporal pad (2, 0), cache in front when given. */
function causalConv3dTime(
  x: Vol,
  cache: Vol | null,
  weight: Float32Array,
  bias: Float32Array,
  out: number,
): Vol {
  return conv3d(causalInput(x, cache), weight, bias, out, [3, 1, 1]);
}

function dimsOf(p: ModelPreset): { enc: number[]; dec: number[] } {
  const m = p.vae.dimMult;
  return {
    enc: [1, ...m].map((k) => k * p.vae.base),
    dec: [m[m.length - 1]!, ...[...m].reverse()].map((k) => k * p.vae.base),
  };
}

function encoderChunk(x: Vol, feat: FeatCache, W: Weights, p: ModelPreset): Vol {
  const dims = dimsOf(p).enc;
  feat.index = 0;
  let y = cachedConv(x, feat, W, 'encoder.conv_in', dims[0]!);
  let index = 0;
  for (let i = 0; i + 1 < dims.length; i++) {
    let inDim = dims[i]!;
    for (let r = 0; r < p.vae.resBlocks; r++) {
      y = residual(y, feat, W, `encoder.down_blocks.${index++}`, inDim, dims[i + 1]!);
      inDim = dims[i + 1]!;
    }
    if (i + 2 < dims.length)
      y = downsample(
        y,
        feat,
        W,
        `encoder.down_blocks.${index++}`,
        dims[i + 1]!,
        p.vae.temporalDownsample[i]!,
      );
  }
  const top = dims[dims.length - 1]!;
  y = midBlock(y, feat, W, 'encoder.mid_block', top);
  y = silu(rmsNorm(y, W('encoder.norm_out.gamma')));
  return cachedConv(y, feat, W, 'encoder.conv_out', 2 * p.vae.zDim);
}

/** Wan's encode: frame 0 alone, then 4 frames per chunk; μ of quant_conv, normalised. Returns [16, 1 + k, h, w]. */
export function wanEncode(clip: Vol, W: Weights, p: ModelPreset): Vol {
  const feat = new FeatCache();
  let latents: Vol | undefined;
  for (let start = 0; start < clip.t; start = start === 0 ? 1 : start + p.chunkFrames) {
    const chunk = framesOf(clip, start, start === 0 ? 1 : start + p.chunkFrames);
    const moments = pointwise(encoderChunk(chunk, feat, W, p), W, 'quant_conv', 2 * p.vae.zDim);
    const n = moments.t * moments.h * moments.w;
    const z = vol(p.vae.zDim, moments.t, moments.h, moments.w, moments.data.slice(0, p.vae.zDim * n)); // μ: first z channels
    for (let c = 0; c < z.c; c++)
      for (let j = 0; j < n; j++)
        z.data[c * n + j] = (z.data[c * n + j]! - WAN_LATENT_MEAN[c]!) / WAN_LATENT_STD[c]!;
    latents = latents ? catFrames(latents, z) : z;
  }
  return latents!;
}

/** Wan's decode: un-normalise, post_quant_conv, then one latent per decoder call; clamp to [−1, 1]. */
export function wanDecode(latents: Vol, W: Weights, p: ModelPreset): Vol {
  const dims = dimsOf(p).dec;
  const zDim = p.vae.zDim;
  const n = latents.t * latents.h * latents.w;
  const raw = vol(
    zDim,
    latents.t,
    latents.h,
    latents.w,
    latents.data.map((v, i) => v * WAN_LATENT_STD[Math.floor(i / n)]! + WAN_LATENT_MEAN[Math.floor(i / n)]!),
  );
  const x = pointwise(raw, W, 'post_quant_conv', zDim);
  const upInTime = [...p.vae.temporalDownsample].reverse();
  const feat = new FeatCache();
  let frames: Vol | undefined;
  for (let l = 0; l < latents.t; l++) {
    feat.index = 0;
    let y = cachedConv(framesOf(x, l, l + 1), feat, W, 'decoder.conv_in', dims[0]!);
    y = midBlock(y, feat, W, 'decoder.mid_block', dims[0]!);
    for (let i = 0; i + 1 < dims.length; i++) {
      let inDim = i > 0 ? dims[i]! / 2 : dims[i]!;
      for (let r = 0; r <= p.vae.resBlocks; r++) {
        y = residual(y, feat, W, `decoder.up_blocks.${i}.resnets.${r}`, inDim, dims[i + 1]!);
        inDim = dims[i + 1]!;
      }
      if (i + 2 < dims.length)
        y = upsample(y, feat, W, `decoder.up_blocks.${i}.upsamplers.0`, dims[i + 1]!, upInTime[i]!);
    }
    y = silu(rmsNorm(y, W('decoder.norm_out.gamma')));
    y = cachedConv(y, feat, W, 'decoder.conv_out', 3);
    y = map(y, (v) => Math.min(1, Math.max(-1, v)));
    frames = frames ? catFrames(frames, y) : y;
  }
  return frames!;
}

/** TAEHV decoder (parallel form): MemBlocks see their input at t − 1 (zero at t = 0); trims the first 3 frames. */
export function taehvDecode(latents: Vol, W: Weights, p: ModelPreset): Vol {
  const c = p.preview.channels;
  const widths = [4 * c, 2 * c, c, c];
  const conv = (x: Vol, name: string, out: number, k: number, bias = true) =>
    conv3d(x, W(`${name}.weight`), bias ? W(`${name}.bias`) : undefined, out, [1, k, k], {
      pad: k === 3 ? [1, 1, 1, 1] : [0, 0, 0, 0],
    });
  let y = map(latents, (v) => Math.tanh(v / 3) * 3);
  y = relu(conv(y, 'decoder.1', widths[0]!, 3));
  let index = 3;
  for (let s = 0; s < 3; s++) {
    const wd = widths[s]!;
    for (let m = 0; m < 3; m++) {
      const name = `decoder.${index++}`;
      const past = catFrames(vol(wd, 1, y.h, y.w), framesOf(y, 0, y.t - 1));
      let h = relu(conv(catChannels(y, past), `${name}.conv.0`, wd, 3));
      h = relu(conv(h, `${name}.conv.2`, wd, 3));
      h = conv(h, `${name}.conv.4`, wd, 3);
      y = relu(plus(h, y));
    }
    index++;
    const up = vol(wd, y.t, 2 * y.h, 2 * y.w);
    for (let j = 0; j < up.data.length; j++) {
      const col = j % up.w;
      const row = Math.floor(j / up.w) % up.h;
      const plane = Math.floor(j / (up.w * up.h));
      up.data[j] = y.data[(plane * y.h + (row >> 1)) * y.w + (col >> 1)]!;
    }
    const grow = s >= 1 ? 2 : 1;
    const grown = conv(up, `decoder.${index++}.conv`, wd * grow, 1, false);
    // [C·grow, T] → [C, T·grow]: frame grow·f + g takes channel block g
    y = vol(wd, up.t * grow, up.h, up.w);
    const plane = up.h * up.w;
    for (let g = 0; g < grow; g++) {
      for (let ch = 0; ch < wd; ch++) {
        for (let f = 0; f < up.t; f++) {
          y.data.set(
            grown.data.subarray(((g * wd + ch) * up.t + f) * plane, ((g * wd + ch) * up.t + f + 1) * plane),
            (ch * y.t + grow * f + g) * plane,
          );
        }
      }
    }
    y = conv(y, `decoder.${index++}`, widths[s + 1]!, 3, false);
  }
  y = conv(relu(y), `decoder.${index + 1}`, 3, 3);
  y = map(y, (v) => Math.min(1, Math.max(0, v)));
  return framesOf(y, p.chunkFrames - 1, y.t);
}

// ── Test harness (not part of the reference arithmetic): weights and the runtime's streaming loop over ORT. ──

/**
 * Seeded weights with every constant-initialised parameter (biases 0, γ 1) perturbed by N(0, 0.1), so that tests
 * also catch misplaced biases and norm scales. Returns the values for `modelBytes` and a by-name lookup.
 */
export function testWeights(g: GraphBuilder, seed: number): { values: ParameterValues; W: Weights } {
  const byName = new Map<string, Float32Array>();
  for (const p of g.parameters) {
    const v = seededValues(p, seed);
    if (p.init.kind === 'constant') {
      const noise = Rng.forParameter(seed + 1, p.name).fillNormal(new Float32Array(v.length), 0.1, 0);
      for (let i = 0; i < v.length; i++) v[i]! += noise[i]!;
    }
    byName.set(p.name, v);
  }
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

/** Runs a streaming VAE graph call by call as the runtime does: zero caches first, then each call's cache outputs. */
export async function runStream(
  model: Uint8Array,
  slots: readonly CacheSlot[],
  calls: readonly Record<string, Feed>[],
  ep: 'cpu' | 'webgpu' = 'cpu',
): Promise<Record<string, { data: Float32Array; dims: readonly number[] }>[]> {
  let caches: Record<string, Feed> = {};
  for (const s of slots)
    caches[s.input] = { data: new Float32Array(s.shape.reduce((a, b) => a * b, 1)), dims: s.shape };
  const results = [];
  for (let i = 0; i < calls.length; i++) {
    const out = await runModel(
      model,
      {
        ...calls[i],
        first_chunk: { data: BigInt64Array.from([i === 0 ? 1n : 0n]), dims: [1] },
        ...caches,
      },
      ep,
    );
    caches = {};
    for (const s of slots) caches[s.input] = out[s.output]!;
    results.push(out);
  }
  return results;
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
