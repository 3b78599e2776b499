import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { MAX_PLAN_STEPS, MAX_STEP_DT_S, MIN_STEP_DT_S } from '../geometry/trajectory';
import { NETWORK_KEYS } from './network';

/**
 * model.json — the one file the runtime reads to use a model directory: every number the planner needs, each
 * network file with its inputs/outputs and content hash, and where each network's weights came from.
 */
export const MANIFEST_FORMAT = 'sparse_video_nav.model/2';

const dim = z.union([z.number().int().nonnegative(), z.string()]);
const tensorSpec = z.object({ name: z.string(), dtype: z.string(), shape: z.array(dim) }).strict();

const provenance = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('seeded'), seed: z.number().int() }).strict(),
  z
    .object({
      kind: z.literal('loaded'),
      files: z.array(z.object({ path: z.string(), sha256: z.string() }).strict()),
      seededParameters: z.array(z.string()),
      seed: z.number().int(),
    })
    .strict(),
]);

const networkEntry = z
  .object({
    file: z.string(),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    data_file: z.string().optional(),
    data_sha256: z
      .string()
      .regex(/^[0-9a-f]{64}$/)
      .optional(),
    dtype: z.enum(['float32', 'float16']),
    description: z.string(),
    inputs: z.array(tensorSpec),
    outputs: z.array(tensorSpec),
    parameters: z.number().int().nonnegative(),
    macs: z.number().nonnegative(),
    provenance,
    metadata: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();

const positive = z.number().int().positive();

/** A file of the checkpoint folder the weights came from (`svnav build-model --checkpoint`). */
const sourceFile = z
  .object({ file: z.string(), sha256: z.string().regex(/^[0-9a-f]{64}$/), bytes: positive })
  .strict();

export const manifestSchema = z
  .object({
    format: z.literal(MANIFEST_FORMAT),
    created_by: z.string(),
    preset: z.enum(['official', 'tiny', 'checkpoint']),
    dtype: z.enum(['float32', 'float16']),
    attention: z.enum(['fused', 'unfused']),
    /** Square model input: the release's centre crop resized to target_size. */
    resolution: z.object({ height: positive, width: positive }).strict(),
    fps: z.number().positive(),
    chunk_frames: positive,
    latent: z
      .object({
        channels: positive,
        height: positive,
        width: positive,
        mean: z.array(z.number()),
        std: z.array(z.number().positive()),
      })
      .strict(),
    /** Clean chunks (the last 8 frames) at the start of the DiT sequence, re-injected after every step. */
    reference_chunks: positive,
    /** Future chunk i ends (offset_i + 1) chunks after the reference; their count is the DiT's future length. */
    future_chunk_offsets: z.array(z.number().int().nonnegative()).min(1),
    sampler: z
      .object({
        kind: z.literal('flow_unipc'),
        steps: positive,
        num_train_timesteps: positive,
        shift: z.number().positive(),
        solver_order: z.literal(2),
        solver_type: z.literal('bh2'),
      })
      .strict(),
    history: z
      .object({
        /** The most history chunks one plan uses (the Q-Former's frame table). */
        max_chunks: positive,
        tokens: positive,
        dim: positive,
      })
      .strict(),
    text: z
      .object({
        /** Tokenizer padding length (`text_len`) = the encoder's positions. */
        text_len: positive,
        /** Rows the DiT's text input is zero-padded to. */
        dit_text_len: positive,
        vocab: positive,
        dim: positive,
        /** The DiT's text width; ≠ dim means the text encoder cannot feed this DiT (refused at load). */
        dit_dim: positive,
        tokenizer: z.string(),
        tokenizer_sha256: z.string().regex(/^[0-9a-f]{64}$/),
      })
      .strict(),
    action: z
      .object({
        /** Within what the controller executes: a model that cannot produce a plan it accepts is refused at load. */
        horizon: z.number().int().min(1).max(MAX_PLAN_STEPS),
        action_dim: positive,
        step_dt_s: z.number().min(MIN_STEP_DT_S).max(MAX_STEP_DT_S),
        scale: z.array(z.number().positive()).length(3),
        /** Future chunks the action head reads (the first ones: the next seconds). */
        chunks: positive,
        ddim: z
          .object({
            train_steps: positive,
            steps: positive,
            beta_schedule: z.literal('squaredcos_cap_v2'),
          })
          .strict(),
      })
      .strict(),
    /** Checkpoint files the weights were read from; empty for a seeded model. */
    sources: z.array(sourceFile),
    /** Which parts run on trained weights: robot mode refuses an untrained video generator by default. */
    trained: z.object({ video_generator: z.boolean(), action_head: z.boolean() }).strict(),
    networks: z.record(z.enum(NETWORK_KEYS), networkEntry),
    /** SHA-256 of this manifest without this field: an edited model.json (e.g. its preset) is refused. */
    content_sha256: z.string().regex(/^[0-9a-f]{64}$/),
  })
  .strict();

export type ModelManifest = z.infer<typeof manifestSchema>;

/** The manifest's own content hash: SHA-256 of its JSON without `content_sha256`, keys in written order. */
export function manifestContentHash(
  manifest: Omit<ModelManifest, 'content_sha256'> & { content_sha256?: string },
): string {
  const { content_sha256: _, ...rest } = manifest;
  return createHash('sha256').update(JSON.stringify(rest)).digest('hex');
}

/** The manifest with its content hash, as build-model writes it. */
export function sealManifest(manifest: Omit<ModelManifest, 'content_sha256'>): ModelManifest {
  return { ...manifest, content_sha256: manifestContentHash(manifest) };
}
export type NetworkEntry = z.infer<typeof networkEntry>;
export type ManifestProvenance = z.infer<typeof provenance>;

export class ManifestError extends Error {
  constructor(
    readonly dir: string,
    message: string,
  ) {
    super(`model directory ${dir}: ${message}`);
    this.name = 'ManifestError';
  }
}

/** Reads and validates `model.json` of a model directory (file hashes are checked by the runtime's loader). */
export function readManifest(dir: string): ModelManifest {
  const path = join(dir, 'model.json');
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new ManifestError(
      dir,
      e.code === 'ENOENT'
        ? `no model.json (build one with \`svnav build-model\`)`
        : `model.json unreadable: ${e.message}`,
    );
  }
  const format = (raw as { format?: unknown })?.format;
  if (format !== MANIFEST_FORMAT) {
    throw new ManifestError(
      dir,
      `model.json has format ${JSON.stringify(format)}, this runtime reads ${MANIFEST_FORMAT}`,
    );
  }
  const parsed = manifestSchema.safeParse(raw);
  if (!parsed.success) {
    const first = parsed.error.issues.slice(0, 5).map((i) => `${i.path.join('.') || '(top)'}: ${i.message}`);
    throw new ManifestError(dir, `model.json is invalid: ${first.join('; ')}`);
  }
  // Hashed as written (schema parsing reorders keys).
  if (manifestContentHash(raw as ModelManifest) !== parsed.data.content_sha256) {
    throw new ManifestError(
      dir,
      'model.json was edited after svnav build-model wrote it (its content hash does not match); rebuild the ' +
        'model directory rather than editing its manifest',
    );
  }
  return parsed.data;
}
