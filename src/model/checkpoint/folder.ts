import { z } from 'zod';
import { CheckpointError } from '../weights/checkpoint-io';

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

/** `svn_ckpt/config.json` as `SVNModel` reads it, with the release's defaults; every problem is named with its key. */
export function parseSvnConfig(raw: unknown, path: string): SvnConfig {
  const parsed = svnConfig.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(top)'}: ${i.message}`);
    throw new CheckpointError(path, `is not an SVNModel config: ${issues.join('; ')}`);
  }
  return parsed.data;
}
