import { OFFICIAL, type ModelPreset, presetProblems } from '../presets';
import { CheckpointError } from '../weights/checkpoint-io';
import type { SvnConfig } from './folder';

/** What the builder needs to know of a checkpoint file: its tensors' shapes by name. */
export interface ShapeLookup {
  readonly path: string;
  names(): string[];
  info(name: string): { shape: readonly number[] } | undefined;
}

export interface CheckpointShapes {
  /** The SVN model's files (one, or the shards of a large checkpoint). */
  svn: readonly ShapeLookup[];
  vae: ShapeLookup;
  t5: ShapeLookup;
}

/**
 * The sizes of a downloaded checkpoint: the DiT and formers from `config.json` (as `SVNModel` reads it), the umT5
 * and VAE widths from their tensors' shapes, the input size from the Q-Former (its queries are num_frame × the latent
 * grid, so a checkpoint is tied to one resolution). `textLen` is the tokenizer length (`text_len`, 512 officially).
 * Refuses, naming config.json, a checkpoint whose sizes break the release's own constraints.
 */
export function presetFromCheckpoint(
  config: SvnConfig,
  shapes: CheckpointShapes,
  options: { textLen?: number } = {},
): ModelPreset {
  const q = config.vgm_qformer_config;
  const v = config.vgm_video_former_config;
  const side = 8 * Math.sqrt(q.num_latents / v.num_frame);
  const svn = shapes.svn.find((f) => f.info('vgm.text_embedding.0.weight')) ?? shapes.svn[0]!;
  const textDim = shapeOf(svn, 'vgm.text_embedding.0.weight', 2)[1]!;
  const preset: ModelPreset = {
    ...OFFICIAL,
    name: 'checkpoint',
    resolution: { height: side, width: side },
    dit: {
      ...OFFICIAL.dit,
      dim: config.vgm_dim,
      ffn: config.vgm_ffn_dim,
      heads: config.vgm_num_heads,
      layers: config.vgm_num_layers,
      textDim,
    },
    history: {
      qformer: {
        dim: q.dim,
        depth: q.depth,
        heads: q.heads,
        numLatents: q.num_latents,
        ffMult: q.ff_mult,
        maxFrames: q.max_frames,
      },
      videoformer: {
        dim: v.dim,
        depth: v.depth,
        heads: v.heads,
        dimHead: v.dim_head,
        numLatents: v.num_latents,
        numFrame: v.num_frame,
        ffMult: v.ff_mult,
      },
    },
    text: textConfig(shapes.t5, options.textLen ?? OFFICIAL.text.textLen),
    vae: { ...OFFICIAL.vae, dim: shapeOf(shapes.vae, 'encoder.conv1.weight', 5)[0]! },
  };
  const fatal = presetProblems(preset).filter((p) => !p.startsWith('text encoder width'));
  if (!Number.isInteger(side)) {
    fatal.unshift(
      `Q-Former num_latents ${q.num_latents} / Video-Former num_frame ${v.num_frame} is not a square latent grid`,
    );
  }
  if (fatal.length) throw new CheckpointError(svn.path.replace(/[^/]*$/, 'config.json'), fatal.join('; '));
  return preset;
}

/** umT5 sizes from `models_t5_umt5-xxl-enc-bf16.pth`: vocabulary, widths, layers and heads (the bias table's columns). */
function textConfig(t5: ShapeLookup, textLen: number): ModelPreset['text'] {
  const [vocab, dim] = shapeOf(t5, 'token_embedding.weight', 2) as [number, number];
  const layers = new Set(
    t5
      .names()
      .map((n) => /^blocks\.(\d+)\./.exec(n)?.[1])
      .filter((i): i is string => i !== undefined),
  ).size;
  const [numBuckets, heads] = shapeOf(t5, 'blocks.0.pos_embedding.embedding.weight', 2) as [number, number];
  return {
    ...OFFICIAL.text,
    vocab,
    dim,
    dimAttn: shapeOf(t5, 'blocks.0.attn.q.weight', 2)[0]!,
    dimFfn: shapeOf(t5, 'blocks.0.ffn.fc1.weight', 2)[0]!,
    heads,
    layers,
    numBuckets,
    textLen,
  };
}

function shapeOf(file: ShapeLookup, name: string, rank: number): readonly number[] {
  const shape = file.info(name)?.shape;
  if (!shape) throw new CheckpointError(file.path, `has no tensor ${name}; is it the right file?`);
  if (shape.length !== rank) {
    throw new CheckpointError(
      file.path,
      `${name} has shape [${shape.join(', ')}], expected ${rank} dimensions`,
    );
  }
  return shape;
}
