import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';

/**
 * model.json — the one file the runtime reads to use a model directory: every number the planner needs, each
 * network file with its inputs/outputs and content hash, and where each network's weights came from.
 */
export const MANIFEST_FORMAT = 'sparse_video_nav.model/1';

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

export const networkKeys = [
  'dit_step',
  'history_compressor',
  'action_context',
  'action_step',
  'text_encoder',
  'vae_encoder',
  'vae_decoder',
  'preview_decoder',
] as const;

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

export const manifestSchema = z
  .object({
    format: z.literal(MANIFEST_FORMAT),
    created_by: z.string(),
    preset: z.enum(['full', 'tiny']),
    dtype: z.enum(['float32', 'float16']),
    attention: z.enum(['fused', 'unfused']),
    resolution: z
      .object({ height: z.number().int().positive(), width: z.number().int().positive() })
      .strict(),
    fps: z.number().positive(),
    chunk_frames: z.number().int().positive(),
    latent: z
      .object({
        channels: z.number().int().positive(),
        height: z.number().int().positive(),
        width: z.number().int().positive(),
        mean: z.array(z.number()),
        std: z.array(z.number().positive()),
      })
      .strict(),
    sparse_offsets: z.array(z.number().int().positive()),
    sampler: z
      .object({
        shift: z.number().positive(),
        pcm_phases: z.number().int().positive(),
        pcm_sigmas: z.array(z.number()),
        teacher_steps: z.number().int().positive(),
        guidance_scale: z.number().positive(),
      })
      .strict(),
    action: z
      .object({
        horizon: z.number().int().positive(),
        action_dim: z.number().int().positive(),
        step_dt_s: z.number().positive(),
        scale: z.array(z.number().positive()).length(3),
        ddim: z
          .object({
            train_steps: z.number().int().positive(),
            steps: z.number().int().positive(),
            beta_schedule: z.string(),
          })
          .strict(),
      })
      .strict(),
    text: z
      .object({
        max_tokens: z.number().int().positive(),
        vocab: z.number().int().positive(),
        dim: z.number().int().positive(),
        tokenizer: z.string(),
        tokenizer_sha256: z.string().regex(/^[0-9a-f]{64}$/),
      })
      .strict(),
    history: z.object({ tokens: z.number().int().positive(), dim: z.number().int().positive() }).strict(),
    /** True when any network runs on seeded (untrained) weights: robot mode refuses such a model by default. */
    untrained: z.boolean(),
    networks: z.record(z.enum(networkKeys), networkEntry),
  })
  .strict();

export type ModelManifest = z.infer<typeof manifestSchema>;
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
  return parsed.data;
}
