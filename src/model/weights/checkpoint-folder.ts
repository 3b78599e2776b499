import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CheckpointError } from './checkpoint-io';
import type { CheckpointView } from './resolve';
import { openTensorFile, type TensorSource } from './tensor-source';

/** The released checkpoint folder's files (OFFICIAL.md §0), relative to the folder. */
export const CHECKPOINT_LAYOUT = {
  svnConfig: 'svn_ckpt/config.json',
  svnWeights: 'svn_ckpt/diffusion_pytorch_model.safetensors',
  svnIndex: 'svn_ckpt/diffusion_pytorch_model.safetensors.index.json',
  vae: 'Wan2.1_VAE.pth',
  t5: 'models_t5_umt5-xxl-enc-bf16.pth',
  tokenizer: 'google/umt5-xxl/tokenizer.json',
} as const;

/** Every tensor key of the SVN checkpoint starts with this (the `vgm` attribute of SVNModel). */
export const SVN_PREFIX = 'vgm.';

/** An opened checkpoint folder: one view per part, named so that `prefix + parameter name` is the file's key. */
export interface CheckpointFolder {
  dir: string;
  /** svn_ckpt/config.json as parsed JSON (`_class_name` checked to be SVNModel). */
  svnConfig: Record<string, unknown>;
  /** The SVNModel weights (one view per shard), prefix `vgm.`. */
  svn: CheckpointView[];
  vae: CheckpointView;
  t5: CheckpointView;
  tokenizerPath: string;
  /** Every opened file, for unclaimedTensors and closing. */
  sources: TensorSource[];
  close(): void;
}

/**
 * Opens the folder as a user downloads it. Missing parts are reported together, each with its expected path;
 * sharded SVN weights (`….safetensors.index.json`, diffusers' layout above its shard size) are read shard by shard.
 */
export function openCheckpointFolder(dir: string): CheckpointFolder {
  const at = (rel: string) => join(dir, rel);
  const sharded = existsSync(at(CHECKPOINT_LAYOUT.svnIndex));
  const required = [
    CHECKPOINT_LAYOUT.svnConfig,
    sharded ? CHECKPOINT_LAYOUT.svnIndex : CHECKPOINT_LAYOUT.svnWeights,
    CHECKPOINT_LAYOUT.vae,
    CHECKPOINT_LAYOUT.t5,
    CHECKPOINT_LAYOUT.tokenizer,
  ];
  const missing = required.filter((rel) => !existsSync(at(rel)));
  if (missing.length) {
    throw new CheckpointError(dir, `not a SparseVideoNav checkpoint folder: missing ${missing.join(', ')}`);
  }
  const svnConfig = readJson(at(CHECKPOINT_LAYOUT.svnConfig));
  if (svnConfig._class_name !== 'SVNModel') {
    throw new CheckpointError(
      at(CHECKPOINT_LAYOUT.svnConfig),
      `_class_name is ${JSON.stringify(svnConfig._class_name)}, expected "SVNModel"`,
    );
  }
  const svnFiles = sharded ? shardFiles(dir) : [at(CHECKPOINT_LAYOUT.svnWeights)];
  const sources: TensorSource[] = [];
  const open = (path: string) => {
    const s = openTensorFile(path);
    sources.push(s);
    return s;
  };
  try {
    return {
      dir,
      svnConfig,
      svn: svnFiles.map((f) => ({ source: open(f), prefix: SVN_PREFIX })),
      vae: { source: open(at(CHECKPOINT_LAYOUT.vae)), prefix: '' },
      t5: { source: open(at(CHECKPOINT_LAYOUT.t5)), prefix: '' },
      tokenizerPath: at(CHECKPOINT_LAYOUT.tokenizer),
      sources,
      close: () => sources.forEach((s) => s.close()),
    };
  } catch (err) {
    sources.forEach((s) => s.close());
    throw err;
  }
}

function readJson(path: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new CheckpointError(path, `is not JSON: ${(err as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new CheckpointError(path, 'is not a JSON object');
  }
  return parsed as Record<string, unknown>;
}

/** The shard files an index names (its `weight_map` values), each checked to exist. */
function shardFiles(dir: string): string[] {
  const indexPath = join(dir, CHECKPOINT_LAYOUT.svnIndex);
  const map = readJson(indexPath).weight_map;
  if (typeof map !== 'object' || map === null) throw new CheckpointError(indexPath, 'has no weight_map');
  const shards = [...new Set(Object.values(map as Record<string, unknown>))];
  const bad = shards.filter((s) => typeof s !== 'string' || s.includes('/') || s.includes('\\'));
  if (bad.length || shards.length === 0) {
    throw new CheckpointError(indexPath, `weight_map names invalid shard files: ${JSON.stringify(bad)}`);
  }
  const paths = (shards as string[]).map((s) => join(dir, 'svn_ckpt', s));
  const absent = paths.filter((p) => !existsSync(p));
  if (absent.length)
    throw new CheckpointError(indexPath, `names shards that are missing: ${absent.join(', ')}`);
  return paths;
}
