/**
 * Every number of the SparseVideoNav networks, in one object per preset. `full` is the paper's architecture
 * (SYSTEM.md §2; Wan2.1-T2V-1.3B for the video DiT, Tables A-II/A-III for the history and action heads);
 * `tiny` has the same structure with small widths so that the whole set builds in seconds and a plan cycle
 * runs on 2 CPU cores. Network code reads only this object, so both presets share every line of it.
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

export interface ModelPreset {
  name: 'full' | 'tiny';
  /** Model input frames, H×W (multiple of 16: VAE stride 8 × patch 2). */
  resolution: { height: number; width: number };
  fps: number;
  /** Frames per latent chunk after the first (Wan VAE temporal stride). */
  chunkFrames: number;
  latentChannels: number;
  /** Chunks (seconds) after the current chunk at which the sparse future is imagined. */
  sparseOffsets: readonly number[];
  dit: {
    dim: number;
    ffn: number;
    heads: number;
    layers: number;
    patch: readonly [number, number, number];
    textDim: number;
    freqDim: number;
    textLen: number;
    eps: number;
  };
  history: {
    /** Patch size over the history latents (2×2 → 64 features). */
    patch: number;
    qformer: FormerSize;
    videoformer: FormerSize;
  };
  action: {
    horizon: number;
    actionDim: number;
    patch: number;
    videoformer: FormerSize;
    dit: TransformerSize;
  };
  text: {
    vocab: number;
    dModel: number;
    layers: number;
    heads: number;
    headDim: number;
    ffn: number;
    relBuckets: number;
    relMaxDistance: number;
    maxTokens: number;
    eps: number;
  };
  vae: {
    base: number;
    zDim: number;
    dimMult: readonly number[];
    resBlocks: number;
    temporalDownsample: readonly boolean[];
  };
  preview: {
    /** Channels of the fast preview decoder's stages. */
    channels: number;
  };
  sampler: {
    shift: number;
    pcmPhases: number;
    teacherSteps: number;
    guidanceScale: number;
  };
  ddim: {
    trainSteps: number;
    steps: number;
    betaSchedule: 'squaredcos_cap_v2';
  };
  /** Actions are predicted in [-1, 1]; multiply by these to get metres, metres, radians per step. */
  actionScale: readonly [number, number, number];
}

/** Wan2.1 VAE latent normalisation constants (SYSTEM.md §2.5). */
export const WAN_LATENT_MEAN = [
  -0.7571, -0.7089, -0.9113, 0.1075, -0.1745, 0.9653, -0.1517, 1.5508, 0.4134, -0.0715, 0.5517, -0.3632,
  -0.1922, -0.9497, 0.2503, -0.2921,
] as const;
export const WAN_LATENT_STD = [
  2.8184, 1.4541, 2.3275, 2.6558, 1.2196, 1.7708, 2.6052, 2.0743, 3.2687, 2.1526, 2.8652, 1.5579, 1.6382,
  1.1253, 2.8251, 1.916,
] as const;

const common = {
  fps: 4,
  chunkFrames: 4,
  latentChannels: 16,
  sparseOffsets: [1, 2, 5, 8, 11, 14, 17, 20],
  sampler: { shift: 5, pcmPhases: 4, teacherSteps: 50, guidanceScale: 5 },
  ddim: { trainSteps: 100, steps: 10, betaSchedule: 'squaredcos_cap_v2' as const },
  actionScale: [0.25, 0.125, 0.25] as const,
};

export const FULL: ModelPreset = {
  ...common,
  name: 'full',
  resolution: { height: 256, width: 448 },
  dit: {
    dim: 1536,
    ffn: 8960,
    heads: 12,
    layers: 30,
    patch: [1, 2, 2],
    textDim: 4096,
    freqDim: 256,
    textLen: 512,
    eps: 1e-6,
  },
  history: {
    patch: 2,
    qformer: { hidden: 512, layers: 4, heads: 8, ffn: 2048, queries: 10240 },
    videoformer: { hidden: 512, layers: 6, heads: 8, ffn: 2048, queries: 2560 },
  },
  action: {
    horizon: 8,
    actionDim: 3,
    patch: 2,
    videoformer: { hidden: 256, layers: 8, heads: 8, ffn: 1024, queries: 640 },
    dit: { hidden: 256, layers: 12, heads: 8, ffn: 1024 },
  },
  text: {
    vocab: 256384,
    dModel: 4096,
    layers: 24,
    heads: 64,
    headDim: 64,
    ffn: 10240,
    relBuckets: 32,
    relMaxDistance: 128,
    maxTokens: 512,
    eps: 1e-6,
  },
  vae: { base: 96, zDim: 16, dimMult: [1, 2, 4, 4], resBlocks: 2, temporalDownsample: [false, true, true] },
  preview: { channels: 64 },
};

export const TINY: ModelPreset = {
  ...common,
  name: 'tiny',
  resolution: { height: 64, width: 112 },
  dit: {
    dim: 64,
    ffn: 128,
    heads: 2,
    layers: 2,
    patch: [1, 2, 2],
    textDim: 32,
    freqDim: 32,
    textLen: 16,
    eps: 1e-6,
  },
  history: {
    patch: 2,
    qformer: { hidden: 32, layers: 1, heads: 2, ffn: 64, queries: 64 },
    videoformer: { hidden: 32, layers: 1, heads: 2, ffn: 64, queries: 16 },
  },
  action: {
    horizon: 8,
    actionDim: 3,
    patch: 2,
    videoformer: { hidden: 32, layers: 1, heads: 2, ffn: 64, queries: 16 },
    dit: { hidden: 32, layers: 2, heads: 2, ffn: 64 },
  },
  text: {
    vocab: 512,
    dModel: 32,
    layers: 2,
    heads: 2,
    headDim: 16,
    ffn: 64,
    relBuckets: 8,
    relMaxDistance: 16,
    maxTokens: 16,
    eps: 1e-6,
  },
  vae: { base: 8, zDim: 16, dimMult: [1, 2, 4, 4], resBlocks: 2, temporalDownsample: [false, true, true] },
  preview: { channels: 8 },
};

export const PRESETS = { full: FULL, tiny: TINY } as const;
export type PresetName = keyof typeof PRESETS;

/** A preset at another resolution (H and W multiples of 16). */
export function withResolution(preset: ModelPreset, height: number, width: number): ModelPreset {
  if (
    !Number.isInteger(height) ||
    !Number.isInteger(width) ||
    height % 16 ||
    width % 16 ||
    height <= 0 ||
    width <= 0
  ) {
    throw new Error(
      `resolution must be positive multiples of 16 (VAE stride 8 × patch 2), got ${height}×${width}`,
    );
  }
  return { ...preset, resolution: { height, width } };
}

/** Latent grid of one chunk: the VAE's 8× spatial stride. */
export function latentGrid(preset: ModelPreset): { height: number; width: number } {
  return { height: preset.resolution.height / 8, width: preset.resolution.width / 8 };
}

/** Tokens per latent chunk after the DiT's 2×2 patches. */
export function tokensPerChunk(preset: ModelPreset): number {
  const { height, width } = latentGrid(preset);
  return (height / preset.dit.patch[1]) * (width / preset.dit.patch[2]);
}

/**
 * Sigma boundaries of the distilled PCM sampler: the phase starts are the teacher steps
 * floor(linspace(0, teacherSteps, phases + 1)) without the last, shifted, then 0 (SYSTEM.md §3).
 * Shift 3 → [1, 0.9048, 0.75, 0.5132, 0]; shift 5 → [1, 0.9406, 0.8333, 0.6373, 0].
 */
export function pcmSigmas(shift: number, phases: number, teacherSteps: number): number[] {
  const sigmas: number[] = [];
  for (let i = 0; i < phases; i++) {
    const step = Math.floor((i * teacherSteps) / phases);
    sigmas.push(shiftSigma(1 - step / teacherSteps, shift));
  }
  sigmas.push(0);
  return sigmas;
}

/** The teacher's Euler schedule: `steps` shifted sigmas from 1 down, then 0. */
export function teacherSigmas(shift: number, steps: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < steps; i++) out.push(shiftSigma(1 - i / steps, shift));
  out.push(0);
  return out;
}

export function shiftSigma(sigma: number, shift: number): number {
  return (shift * sigma) / (1 + (shift - 1) * sigma);
}
