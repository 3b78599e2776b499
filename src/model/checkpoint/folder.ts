import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';

/**
 * The checkpoint folder exactly as a user downloads it (Hugging Face `OpenDriveLab/SparseVideoNav_VGM`, layout in
 * the release's README and OFFICIAL.md §0): the SVN model (diffusers config + safetensors), the Wan VAE and the umT5
 * encoder as PyTorch zip checkpoints, and the umT5 tokenizer.
 */
export const CHECKPOINT_FILES = {
  config: 'svn_ckpt/config.json',
  svn: 'svn_ckpt/diffusion_pytorch_model.safetensors',
  vae: 'Wan2.1_VAE.pth',
  t5: 'models_t5_umt5-xxl-enc-bf16.pth',
  tokenizer: 'google/umt5-xxl/tokenizer.json',
} as const;

export type CheckpointPaths = { readonly dir: string } & {
  readonly [K in keyof typeof CHECKPOINT_FILES]: string;
};

export class CheckpointError extends Error {
  constructor(
    readonly file: string,
    problem: string,
  ) {
    super(`${file}: ${problem}`);
    this.name = 'CheckpointError';
  }
}

/** The absolute paths of the folder's files; one error names every file that is missing. */
export function locateCheckpoint(dir: string): CheckpointPaths {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new CheckpointError(dir, 'is not a directory (expected the downloaded SparseVideoNav_VGM folder)');
  }
  const paths = Object.fromEntries(
    Object.entries(CHECKPOINT_FILES).map(([key, rel]) => [key, join(dir, rel)]),
  ) as Record<keyof typeof CHECKPOINT_FILES, string>;
  const missing = Object.values(CHECKPOINT_FILES).filter((rel) => !existsSync(join(dir, rel)));
  if (missing.length) {
    throw new CheckpointError(
      dir,
      `missing ${missing.join(', ')} (the folder must hold ${Object.values(CHECKPOINT_FILES).join(', ')})`,
    );
  }
  return { dir, ...paths };
}

const positive = z.number().int().positive();

/** `vgm_qformer_config` / `vgm_video_former_config` as `SVNModel` reads them (defaults from the release's classes). */
const qformerConfig = z
  .object({
    dim: positive,
    depth: positive,
    heads: positive.default(8),
    num_latents: positive.default(256),
    ff_mult: positive.default(4),
    max_frames: positive.default(512),
    activation: z.literal('gelu').default('gelu'),
  })
  .passthrough();

const videoFormerConfig = z
  .object({
    dim: positive,
    depth: positive,
    heads: positive.default(8),
    dim_head: positive.default(64),
    num_latents: positive.default(256),
    num_frame: positive.default(64),
    ff_mult: positive.default(4),
    activation: z.literal('gelu').default('gelu'),
  })
  .passthrough();

const svnConfig = z
  .object({
    _class_name: z.literal('SVNModel'),
    vgm_dim: positive.default(1536),
    vgm_ffn_dim: positive.default(8960),
    vgm_num_heads: positive.default(12),
    vgm_num_layers: positive.default(30),
    vgm_qformer_config: qformerConfig,
    vgm_video_former_config: videoFormerConfig,
  })
  .passthrough();

export type SvnConfig = z.infer<typeof svnConfig>;

/** Reads `svn_ckpt/config.json`; every problem is named with its key. */
export function readSvnConfig(path: string): SvnConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new CheckpointError(path, `is not readable JSON: ${(err as Error).message}`);
  }
  const parsed = svnConfig.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(top)'}: ${i.message}`);
    throw new CheckpointError(path, `is not an SVNModel config: ${issues.join('; ')}`);
  }
  return parsed.data;
}
