import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { NetworkDefinition } from '../network';
import type { Parameter } from '../onnx/graph';
import type { ParameterValues } from '../onnx/serialize';
import { SafetensorsFile } from './safetensors';
import { seededValues } from './seeded';

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
  values: ParameterValues;
  provenance: WeightProvenance;
  close(): void;
}

/** Seeded weights: every parameter from its own (seed, name) stream. */
export function seededWeights(seed: number): ResolvedWeights {
  return {
    values: (p) => seededValues(p, seed),
    provenance: { kind: 'seeded', seed },
    close: () => undefined,
  };
}

/**
 * Weights from .safetensors checkpoints with checkpoint (Diffusers) names. Every parameter of the network must be
 * present with its exact shape, except those the network marks as new; every checkpoint tensor must be used, so a
 * checkpoint of another architecture or size is refused with the full list of differences.
 */
export async function checkpointWeights(
  def: NetworkDefinition,
  files: readonly string[],
  seed: number,
): Promise<ResolvedWeights> {
  const opened = files.map((f) => SafetensorsFile.open(f));
  const owner = new Map<string, SafetensorsFile>();
  for (const f of opened) for (const name of f.entries.keys()) owner.set(name, f);
  // Tied copies some checkpoints also store (umT5's encoder.embed_tokens = shared): used when the canonical
  // tensor is absent, and never reported as unexpected.
  const tied = (def.metadata?.tied_parameters ?? {}) as Record<string, string>;
  const aliasOf = new Map<string, string>();
  for (const [alias, canonical] of Object.entries(tied)) {
    if (owner.has(alias)) {
      if (!owner.has(canonical)) aliasOf.set(canonical, alias);
      owner.delete(alias);
      if (aliasOf.has(canonical))
        owner.set(
          canonical,
          opened.find((f) => f.entries.has(alias))!,
        );
    }
  }
  const missing: string[] = [];
  const misshaped: { name: string; expected: number[]; actual: number[] }[] = [];
  const seededParameters: string[] = [];
  const byName = new Map<string, Parameter>();
  for (const p of def.graph.parameters) {
    byName.set(p.name, p);
    const f = owner.get(p.name);
    if (!f) {
      if (def.isNewParameter?.(p.name)) seededParameters.push(p.name);
      else missing.push(p.name);
      continue;
    }
    const actual = f.entries.get(aliasOf.get(p.name) ?? p.name)!.shape;
    if (actual.length !== p.shape.length || actual.some((d, i) => d !== p.shape[i])) {
      misshaped.push({ name: p.name, expected: [...p.shape], actual });
    }
  }
  const unexpected = [...owner.keys()].filter((n) => !byName.has(n)).sort();
  if (missing.length || unexpected.length || misshaped.length) {
    for (const f of opened) f.close();
    throw new WeightMismatchError(def.key, missing, unexpected, misshaped);
  }
  const hashes = await Promise.all(files.map(async (path) => ({ path, sha256: await sha256File(path) })));
  return {
    values: (p) => {
      const f = owner.get(p.name);
      return f ? f.read(aliasOf.get(p.name) ?? p.name) : seededValues(p, seed);
    },
    provenance: { kind: 'loaded', files: hashes, seededParameters, seed },
    close: () => opened.forEach((f) => f.close()),
  };
}

export function sha256File(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(path)
      .on('data', (chunk) => h.update(chunk))
      .on('end', () => resolve(h.digest('hex')))
      .on('error', reject);
  });
}
