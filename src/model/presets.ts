/**
 * Every number of the SparseVideoNav networks, in one object per preset. The video generator follows the public
 * release (OpenDriveLab/SparseVideoNav @ 8bff8ef, `shared/design/OFFICIAL.md`): `official` holds the released
 * sizes at 256×256 (the former sizes are assumed as in OFFICIAL.md §9 until a checkpoint's `config.json` says
 * otherwise, see `presetFromCheckpoint`), `tiny` is the same code at small widths so that the whole set builds in
 * seconds and a plan cycle runs on 2 CPU cores. The action head is not released; it keeps the paper's design
 * (Table A-III). Network code reads only this object, so both presets share every line of it.
 */

export interface TransformerSize {
  hidden: number;
  layers: number;
  heads: number;
  ffn: number;
}

export interface FormerSize extends TransformerSize {
  /** Learned queries: the fixed number of tokens the former outputs. */
  queries: number;
}

/** The release's `Q_Former_3D` (`vgm_qformer_config`). */
export interface QFormerConfig {
  dim: number;
  depth: number;
  heads: number;
  /** Learned queries; must equal Video-Former `numFrame` × latent H·W. */
  numLatents: number;
  /** FFN width = dim · ffMult. */
  ffMult: number;
  /** Rows of the sinusoidal frame table: the most history chunks one plan can use. */
  maxFrames: number;
}

/** The release's `Video_Former_3D` (`vgm_video_former_config`). */
export interface VideoFormerConfig {
  dim: number;
  depth: number;
  heads: number;
  dimHead: number;
  /** All queries; `numLatents / numFrame` per frame. */
  numLatents: number;
  numFrame: number;
  ffMult: number;
}

/** The umT5 encoder in Wan's layout (`modules/t5.py`). */
export interface TextEncoderConfig {
  vocab: number;
  dim: number;
  dimAttn: number;
  dimFfn: number;
  heads: number;
  layers: number;
  /** Relative-position buckets (both directions together) and the distance where they stop growing. */
  numBuckets: number;
  maxDistance: number;
  /** Tokenizer padding length (`text_len`): the encoder runs on this many positions. */
  textLen: number;
  eps: number;
}

/** `WanVAE_` constructor arguments. */
export interface VaeConfig {
  dim: number;
  zDim: number;
  dimMult: readonly number[];
  numResBlocks: number;
  temporalDownsample: readonly boolean[];
}

export interface ModelPreset {
  /** `official`, `tiny`, or `checkpoint` for sizes read from a checkpoint folder. */
  name: 'official' | 'tiny' | 'checkpoint';
  /** Square model input (centre crop + bilinear resize): `target_size`. Multiple of 16 (VAE 8 × patch 2). */
  resolution: { height: number; width: number };
  /** Frames sampled per second of camera time (`target_fps`). */
  fps: number;
  /** Frames per latent chunk (Wan VAE temporal stride). */
  chunkFrames: number;
  latentChannels: number;
  /** Clean reference chunks at the start of the DiT sequence (the last 8 frames), re-injected after every step. */
  referenceChunks: number;
  /**
   * `future_chunk_offsets`: future chunk i shows the chunk that ends (offset + 1) chunks after the reference. Only
   * their count enters the networks (RoPE positions are contiguous); the offsets give the imagined frames their times.
   */
  futureChunkOffsets: readonly number[];
  dit: {
    dim: number;
    ffn: number;
    heads: number;
    layers: number;
    patch: readonly [number, number, number];
    /** Width of the text features (umT5 `dim`; 4096 in the release). */
    textDim: number;
    /** Rows the trimmed text is zero-padded back to before `text_embedding` (512 in the release). */
    textLen: number;
    freqDim: number;
    eps: number;
  };
  history: {
    qformer: QFormerConfig;
    videoformer: VideoFormerConfig;
  };
  text: TextEncoderConfig;
  vae: VaeConfig;
  sampler: {
    /** UniPC (bh2, order 2, predictor–corrector) steps; 4 by default, as the release. */
    steps: number;
    numTrainTimesteps: number;
    shift: number;
  };
  action: {
    horizon: number;
    actionDim: number;
    patch: number;
    /** Future chunks the action head reads (the first two: the next 2 seconds). */
    chunks: number;
    videoformer: FormerSize;
    dit: TransformerSize;
  };
  ddim: {
    trainSteps: number;
    steps: number;
    betaSchedule: 'squaredcos_cap_v2';
  };
  /** Actions are predicted in [-1, 1]; multiply by these to get metres, metres, radians per step. */
  actionScale: readonly [number, number, number];
}

/** Wan2.1 VAE latent normalisation constants (OFFICIAL.md §7). */
export const WAN_LATENT_MEAN = [
  -0.7571, -0.7089, -0.9113, 0.1075, -0.1745, 0.9653, -0.1517, 1.5508, 0.4134, -0.0715, 0.5517, -0.3632,
  -0.1922, -0.9497, 0.2503, -0.2921,
] as const;
export const WAN_LATENT_STD = [
  2.8184, 1.4541, 2.3275, 2.6558, 1.2196, 1.7708, 2.6052, 2.0743, 3.2687, 2.1526, 2.8652, 1.5579, 1.6382,
  1.1253, 2.8251, 1.916,
] as const;

const WAN_VAE_LAYOUT = {
  zDim: 16,
  dimMult: [1, 2, 4, 4],
  numResBlocks: 2,
  temporalDownsample: [false, true, true],
} as const;

const common = {
  fps: 4,
  chunkFrames: 4,
  latentChannels: 16,
  referenceChunks: 2,
  futureChunkOffsets: [0, 1, 4, 7, 10, 13, 16, 19],
  sampler: { steps: 4, numTrainTimesteps: 1000, shift: 1 },
  ddim: { trainSteps: 100, steps: 10, betaSchedule: 'squaredcos_cap_v2' as const },
  actionScale: [0.25, 0.125, 0.25] as const,
};

export const OFFICIAL: ModelPreset = {
  ...common,
  name: 'official',
  resolution: { height: 256, width: 256 },
  dit: {
    dim: 1536,
    ffn: 8960,
    heads: 12,
    layers: 30,
    patch: [1, 2, 2],
    textDim: 4096,
    textLen: 512,
    freqDim: 256,
    eps: 1e-6,
  },
  history: {
    qformer: { dim: 512, depth: 4, heads: 8, numLatents: 10240, ffMult: 4, maxFrames: 512 },
    videoformer: { dim: 512, depth: 6, heads: 8, dimHead: 64, numLatents: 2560, numFrame: 10, ffMult: 4 },
  },
  text: {
    vocab: 256384,
    dim: 4096,
    dimAttn: 4096,
    dimFfn: 10240,
    heads: 64,
    layers: 24,
    numBuckets: 32,
    maxDistance: 128,
    textLen: 512,
    eps: 1e-6,
  },
  vae: { dim: 96, ...WAN_VAE_LAYOUT },
  action: {
    horizon: 8,
    actionDim: 3,
    patch: 2,
    chunks: 2,
    videoformer: { hidden: 256, layers: 8, heads: 8, ffn: 1024, queries: 640 },
    dit: { hidden: 256, layers: 12, heads: 8, ffn: 1024 },
  },
};

/** The official-tiny fixture's sizes (32×32 input, 4×4 latents), with a text encoder as wide as the DiT reads. */
export const TINY: ModelPreset = {
  ...common,
  name: 'tiny',
  resolution: { height: 32, width: 32 },
  dit: {
    dim: 64,
    ffn: 128,
    heads: 2,
    layers: 2,
    patch: [1, 2, 2],
    textDim: 32,
    textLen: 512,
    freqDim: 256,
    eps: 1e-6,
  },
  history: {
    qformer: { dim: 16, depth: 2, heads: 2, numLatents: 32, ffMult: 4, maxFrames: 64 },
    videoformer: { dim: 16, depth: 2, heads: 2, dimHead: 8, numLatents: 8, numFrame: 2, ffMult: 4 },
  },
  text: {
    vocab: 128,
    dim: 32,
    dimAttn: 32,
    dimFfn: 64,
    heads: 4,
    layers: 2,
    numBuckets: 32,
    maxDistance: 128,
    textLen: 64,
    eps: 1e-6,
  },
  vae: { dim: 4, ...WAN_VAE_LAYOUT },
  action: {
    horizon: 8,
    actionDim: 3,
    patch: 2,
    chunks: 2,
    videoformer: { hidden: 32, layers: 1, heads: 2, ffn: 64, queries: 16 },
    dit: { hidden: 32, layers: 2, heads: 2, ffn: 64 },
  },
};

export const PRESETS = { official: OFFICIAL, tiny: TINY } as const;
export type PresetName = keyof typeof PRESETS;

/** Latent grid of one chunk: the VAE's 8× spatial stride. */
export function latentGrid(preset: ModelPreset): { height: number; width: number } {
  return { height: preset.resolution.height / 8, width: preset.resolution.width / 8 };
}

/** Tokens per latent chunk after the DiT's 2×2 patches. */
export function tokensPerChunk(preset: ModelPreset): number {
  const { height, width } = latentGrid(preset);
  return (height / preset.dit.patch[1]) * (width / preset.dit.patch[2]);
}

/** Chunks in the DiT sequence: the clean reference chunks, then the future chunks. */
export function sequenceChunks(preset: ModelPreset): number {
  return preset.referenceChunks + preset.futureChunkOffsets.length;
}

/**
 * The constraints the release's code enforces between the sizes (OFFICIAL.md §9); each broken one is listed.
 * A checkpoint whose formers do not fit the input resolution cannot run.
 */
export function presetProblems(preset: ModelPreset): string[] {
  const problems: string[] = [];
  const { height, width } = preset.resolution;
  const { qformer: q, videoformer: v } = preset.history;
  const grid = latentGrid(preset);
  if (height !== width)
    problems.push(`resolution ${height}×${width} is not square (the release centre-crops a square)`);
  if (height % 16 || height <= 0)
    problems.push(`resolution ${height} is not a positive multiple of 16 (VAE 8 × patch 2)`);
  if (q.dim !== v.dim) problems.push(`Q-Former dim ${q.dim} ≠ Video-Former dim ${v.dim}`);
  if (q.numLatents !== v.numFrame * grid.height * grid.width) {
    problems.push(
      `Q-Former num_latents ${q.numLatents} ≠ Video-Former num_frame ${v.numFrame} × latent ${grid.height}×${grid.width} ` +
        `(= ${v.numFrame * grid.height * grid.width}) at ${height}×${width} input`,
    );
  }
  if (v.numLatents % v.numFrame) {
    problems.push(`Video-Former num_latents ${v.numLatents} is not divisible by num_frame ${v.numFrame}`);
  }
  if (q.dim % q.heads) problems.push(`Q-Former dim ${q.dim} is not divisible by ${q.heads} heads`);
  if (preset.dit.dim % preset.dit.heads) {
    problems.push(`DiT dim ${preset.dit.dim} is not divisible by ${preset.dit.heads} heads`);
  }
  if ((preset.dit.dim / preset.dit.heads) % 2)
    problems.push(`DiT head dim ${preset.dit.dim / preset.dit.heads} is odd (RoPE pairs)`);
  if (preset.text.dim !== preset.dit.textDim) {
    problems.push(`text encoder width ${preset.text.dim} ≠ the DiT's text width ${preset.dit.textDim}`);
  }
  return problems;
}
