import type { Dim, GraphBuilder, Tensor } from '../../onnx/graph';
import { concat, slice } from '../../onnx/ops';

/**
 * How the time axis is treated by one VAE graph.
 *
 * - `stream`: one call of the runtime's chunk loop. The graph takes the new frames (latents) of the call, a
 *   `first_chunk` flag and one cache tensor per causal conv, and returns the updated caches. The first call
 *   (flag 1, caches zero) and the steady calls (flag 0) run the same graph; the frame count differs.
 * - `clip`: a whole clip in one call, without caches, with the same result as streaming it chunk by chunk
 *   (used to check the streaming scheme, and for offline encoding).
 *
 * Activations inside the VAE graphs are frames-first, [F, C, H, W] (batch 1), so 2-D convs see frames as batch.
 */
export interface Temporal {
  readonly mode: 'stream' | 'clip';
  /** bool [1]: true on the first chunk of a stream (stream mode only). */
  readonly first?: Tensor;
  /** Cache slots in the order they are created; recorded in the network metadata. */
  readonly caches: CacheSlot[];
}

export interface CacheSlot {
  /** Graph input holding the cache before the call (zeros on the first call). */
  input: string;
  /** Graph output holding the cache after the call: feed it back as `input` on the next call. */
  output: string;
  /** [frames, channels, height, width] */
  shape: number[];
  kind: 'causal_conv' | 'time_downsample' | 'time_upsample';
  /** The graph's float type: an fp16 graph takes and returns fp16 caches (zeros too on the first call). */
  dtype: 'float32' | 'float16';
}

/** Large end index for open-ended slices (ONNX clamps it). */
export const OPEN_END = 2 ** 62;

export function streamTemporal(g: GraphBuilder): Temporal {
  const flag = g.input('first_chunk', 'int64', [1]);
  const first = g.node('Cast', [flag], { shape: [1], dtype: 'bool' }, { to: 9 })[0]!;
  return { mode: 'stream', first, caches: [] };
}

export function clipTemporal(): Temporal {
  return { mode: 'clip', caches: [] };
}

/** Declares the cache input of the causal layer in the current scope; returns it with its shape. */
export function cacheInput(
  g: GraphBuilder,
  t: Temporal,
  frames: number,
  x: Tensor,
  kind: CacheSlot['kind'],
): Tensor {
  const [, c, h, w] = x.shape as number[];
  const shape = [frames, c!, h!, w!];
  const input = g.input(`cache_in.${g.scopeName}`, g.floatType, shape);
  t.caches.push({
    input: input.name,
    output: `cache_out.${g.scopeName}`,
    shape,
    kind,
    dtype: g.floatType === 'float16' ? 'float16' : 'float32',
  });
  return input;
}

/** Emits the updated cache of the layer in the current scope (declared before with `cacheInput`). */
export function cacheOutput(g: GraphBuilder, t: Temporal, next: Tensor): void {
  const slot = t.caches.find((s) => s.output === `cache_out.${g.scopeName}`);
  if (!slot) throw new Error(`${g.scopeName}: cache output without a cache input`);
  g.output(next, slot.output);
}

/** The last `n` frames of x (an open-ended slice that works for dynamic frame counts). */
export function lastFrames(g: GraphBuilder, x: Tensor, n: number): Tensor {
  const out = slice(g, x, 0, -n, OPEN_END);
  return { ...out, shape: [n, ...out.shape.slice(1)] };
}

/** Frames [start, len − endTrim) of x with a step; `frames` names the result's frame dim. */
export function frameRange(
  g: GraphBuilder,
  x: Tensor,
  start: number,
  endTrim: number,
  step: number,
  frames: Dim,
): Tensor {
  const end = endTrim === 0 ? OPEN_END : -endTrim;
  const shape = [frames, ...x.shape.slice(1)];
  return g.node('Slice', [x, g.ints([start]), g.ints([end]), g.ints([0]), g.ints([step])], {
    shape,
    dtype: x.dtype,
  })[0]!;
}

/** Zero frames prepended (`before`) or appended (`after`) on the frame axis. */
export function padFrames(g: GraphBuilder, x: Tensor, before: number, after: number, frames: Dim): Tensor {
  const pads = [before, 0, 0, 0, after, 0, 0, 0];
  return g.node(
    'Pad',
    [x, g.ints(pads)],
    { shape: [frames, ...x.shape.slice(1)], dtype: x.dtype },
    { mode: 'constant' },
  )[0]!;
}

/** Frames of x followed by frames of y. */
export function catFrames(g: GraphBuilder, xs: readonly Tensor[], frames: Dim): Tensor {
  const out = concat(g, xs, 0);
  return { ...out, shape: [frames, ...out.shape.slice(1)] };
}

/**
 * `onFirst` on the first chunk, `otherwise` after it, when the two may differ in frame count (which `Where` cannot
 * do): both are concatenated and the flag picks a frame range.
 */
export function selectByFirst(
  g: GraphBuilder,
  t: Temporal,
  onFirst: Tensor,
  otherwise: Tensor,
  frames: Dim,
): Tensor {
  const firstLen = g.node('Shape', [onFirst], { shape: [1], dtype: 'int64' }, { start: 0, end: 1 })[0]!;
  const later = g.node(
    'Cast',
    [g.node('Not', [t.first!], { shape: [1], dtype: 'bool' })[0]!],
    { shape: [1], dtype: 'int64' },
    { to: 7 },
  )[0]!;
  const start = g.node('Mul', [firstLen, later], { shape: [1], dtype: 'int64' })[0]!;
  const end = g.node(
    'Add',
    [firstLen, g.node('Mul', [later, g.ints([OPEN_END])], { shape: [1], dtype: 'int64' })[0]!],
    {
      shape: [1],
      dtype: 'int64',
    },
  )[0]!;
  const both = concat(g, [onFirst, otherwise], 0);
  return g.node('Slice', [both, start, end, g.ints([0])], {
    shape: [frames, ...onFirst.shape.slice(1)],
    dtype: onFirst.dtype,
  })[0]!;
}
