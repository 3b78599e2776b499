import { createHash } from 'node:crypto';
import { closeSync, createReadStream, openSync, readSync, statSync } from 'node:fs';
import type { NetworkDefinition } from '../network';
import type { Parameter } from '../onnx/graph';
import type { ParameterPieces, ParameterSource, ParameterValues } from '../onnx/serialize';
import { MAX_IO_BYTES } from './checkpoint-io';
import { seededValues } from './seeded';
import { openTensorFile, type TensorSource } from './tensor-source';

/** Where the weights of a network came from; written to the manifest and checked by robot mode. */
export type WeightProvenance =
  | { kind: 'seeded'; seed: number }
  | {
      kind: 'loaded';
      files: { path: string; sha256: string }[];
      /** Parameters SparseVideoNav adds that the checkpoint lacks; they keep their seeded (e.g. zero) values. */
      seededParameters: string[];
      seed: number;
    };

export class WeightMismatchError extends Error {
  constructor(
    readonly network: string,
    readonly missing: string[],
    readonly unexpected: string[],
    readonly misshaped: { name: string; expected: number[]; actual: number[] }[],
  ) {
    const lines: string[] = [];
    const list = (xs: string[]) =>
      xs.slice(0, 20).join(', ') + (xs.length > 20 ? `, … (${xs.length} in all)` : '');
    if (missing.length) lines.push(`missing ${missing.length}: ${list(missing)}`);
    if (unexpected.length) lines.push(`unexpected ${unexpected.length}: ${list(unexpected)}`);
    if (misshaped.length) {
      lines.push(
        `mis-shaped ${misshaped.length}: ${misshaped
          .slice(0, 20)
          .map((m) => `${m.name} expected [${m.expected.join(', ')}] got [${m.actual.join(', ')}]`)
          .join('; ')}`,
      );
    }
    super(`weights for ${network} do not match its architecture:\n  ${lines.join('\n  ')}`);
    this.name = 'WeightMismatchError';
  }
}

export interface ResolvedWeights {
  /** Whole fp32 tensors in checkpoint layout. */
  values: ParameterValues;
  /** The same values, with huge tensors given in pieces (pass this to writeModel to bound memory). */
  pieces: ParameterSource;
  provenance: WeightProvenance;
  close(): void;
}

/** Seeded weights: every parameter from its own (seed, name) stream. */
export function seededWeights(seed: number): ResolvedWeights {
  const values = (p: Parameter) => seededValues(p, seed);
  return { values, pieces: values, provenance: { kind: 'seeded', seed }, close: () => undefined };
}

/** A checkpoint file seen through a name prefix: checkpoint name = prefix + parameter name (e.g. `vgm.`). */
export interface CheckpointView {
  source: TensorSource;
  prefix: string;
}

export interface FromSourcesOptions {
  /** Tensors with more elements than this are handed to the writer in pieces of this size (default 64 Mi). */
  pieceElements?: number;
}

const DEFAULT_PIECE_ELEMENTS = MAX_IO_BYTES / 4;

/**
 * Gives a network its weights from opened checkpoints by name. Every parameter must be present with its exact
 * (checkpoint-layout) shape, except those the network marks as new (they keep their seeded values); otherwise a
 * WeightMismatchError lists every missing and mis-shaped tensor. Layout `transpose2d` parameters are transposed
 * by the writer (serialize.ts) as they go into the ONNX file. The views stay owned by the caller (one checkpoint
 * usually feeds several networks), so `close()` does not close them.
 */
export function checkpointWeightsFromSources(
  def: NetworkDefinition,
  views: readonly CheckpointView[],
  seed: number,
  options: FromSourcesOptions = {},
): ResolvedWeights {
  const owner = new Map<string, CheckpointView>();
  const missing: string[] = [];
  const misshaped: { name: string; expected: number[]; actual: number[] }[] = [];
  const seededParameters: string[] = [];
  for (const p of def.graph.parameters) {
    const view = views.find((v) => v.source.info(v.prefix + p.name) !== undefined);
    if (!view) {
      if (def.isNewParameter?.(p.name)) seededParameters.push(p.name);
      else missing.push(p.name);
      continue;
    }
    const actual = view.source.info(view.prefix + p.name)!.shape;
    if (actual.length !== p.shape.length || actual.some((d, i) => d !== p.shape[i])) {
      misshaped.push({ name: view.prefix + p.name, expected: [...p.shape], actual });
    }
    owner.set(p.name, view);
  }
  if (missing.length || misshaped.length) {
    throw new WeightMismatchError(
      def.key,
      missing.map((n) => (views.every((v) => v.prefix === views[0]!.prefix) ? views[0]!.prefix + n : n)),
      [],
      misshaped,
    );
  }
  const used = [...new Set([...owner.values()].map((v) => v.source.path))];
  const files = used.map((path) => ({ path, sha256: sha256FileSync(path) }));
  const pieceElements = options.pieceElements ?? DEFAULT_PIECE_ELEMENTS;
  const values = (p: Parameter): Float32Array => {
    const v = owner.get(p.name);
    return v ? v.source.readFloat32(v.prefix + p.name) : seededValues(p, seed);
  };
  const pieces = (p: Parameter): Float32Array | ParameterPieces => {
    const v = owner.get(p.name);
    const n = p.shape.reduce((a, b) => a * b, 1);
    if (!v || n <= pieceElements) return values(p);
    return { pieces: readPieces(v.source, v.prefix + p.name, n, pieceElements) };
  };
  return {
    values,
    pieces,
    provenance: { kind: 'loaded', files, seededParameters, seed },
    close: () => undefined,
  };
}

function* readPieces(source: TensorSource, name: string, n: number, step: number): Generator<Float32Array> {
  for (let start = 0; start < n; start += step)
    yield source.readFloat32Range(name, start, Math.min(step, n - start));
}

/** Checkpoint tensors that no network claims, per file (the builder reports them: a sign of a wrong checkpoint). */
export function unclaimedTensors(
  views: readonly CheckpointView[],
  defs: readonly NetworkDefinition[],
): { path: string; names: string[] }[] {
  const claimed = new Set<string>();
  for (const def of defs) {
    for (const p of def.graph.parameters) {
      const view = views.find((v) => v.source.info(v.prefix + p.name) !== undefined);
      if (view) claimed.add(`${view.source.path}\0${view.prefix}${p.name}`);
    }
  }
  const byPath = new Map<string, string[]>();
  for (const v of views) {
    const names = v.source.names().filter((n) => !claimed.has(`${v.source.path}\0${n}`));
    byPath.set(v.source.path, [...(byPath.get(v.source.path) ?? []), ...names]);
  }
  // A file seen through several prefixes: a name is unclaimed only if no view claims it.
  return [...byPath]
    .map(([path, names]) => ({
      path,
      names: [...new Set(names)].filter((n) => !claimed.has(`${path}\0${n}`)).sort(),
    }))
    .filter((e) => e.names.length > 0);
}

/**
 * Weights from checkpoint files (.safetensors or .pth) whose names equal the parameter names. Like
 * checkpointWeightsFromSources, and in addition every tensor of the files must be used, so a checkpoint of
 * another network is refused with the full list of differences. The files are closed by `close()`.
 */
export async function checkpointWeights(
  def: NetworkDefinition,
  files: readonly string[],
  seed: number,
): Promise<ResolvedWeights> {
  const opened = files.map((f) => openTensorFile(f));
  const closeAll = () => opened.forEach((s) => s.close());
  try {
    const views = opened.map((source) => ({ source, prefix: '' }));
    const unexpected = unclaimedTensors(views, [def]).flatMap((e) => e.names);
    let resolved: ResolvedWeights | undefined;
    let mismatch: WeightMismatchError | undefined;
    try {
      resolved = checkpointWeightsFromSources(def, views, seed);
    } catch (err) {
      if (!(err instanceof WeightMismatchError)) throw err;
      mismatch = err;
    }
    if (mismatch || unexpected.length) {
      throw new WeightMismatchError(def.key, mismatch?.missing ?? [], unexpected, mismatch?.misshaped ?? []);
    }
    return { ...resolved!, close: closeAll };
  } catch (err) {
    closeAll();
    throw err;
  }
}

/** SHA-256 of a file, streamed in pieces; remembered per (path, size, mtime) since networks share checkpoints. */
export function sha256FileSync(path: string): string {
  const st = statSync(path);
  const key = `${path}\0${st.size}\0${st.mtimeMs}`;
  const known = hashCache.get(key);
  if (known) return known;
  const h = createHash('sha256');
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(16 * 1024 * 1024);
    for (let pos = 0; ;) {
      const n = readSync(fd, buf, 0, buf.length, pos);
      if (n <= 0) break;
      h.update(buf.subarray(0, n));
      pos += n;
    }
  } finally {
    closeSync(fd);
  }
  const digest = h.digest('hex');
  hashCache.set(key, digest);
  return digest;
}
const hashCache = new Map<string, string>();

export function sha256File(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(path)
      .on('data', (chunk) => h.update(chunk))
      .on('end', () => resolve(h.digest('hex')))
      .on('error', reject);
  });
}
