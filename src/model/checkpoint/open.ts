import { statSync } from 'node:fs';
import { relative } from 'node:path';
import type { NetworkKey } from '../network';
import type { ModelPreset } from '../presets';
import { type CheckpointView, sha256File } from '../weights/resolve';
import { openTensorFile, type TensorSource } from '../weights/tensor-source';
import { CheckpointError, type CheckpointPaths, locateCheckpoint, readSvnConfig } from './folder';
import { presetFromCheckpoint } from './preset';

/** A checkpoint name is `prefix + parameter name`: the SVN file stores its model under `vgm.`. */
export type SourceView = CheckpointView;

export interface OpenCheckpoint {
  paths: CheckpointPaths;
  preset: ModelPreset;
  /** Which file each released network reads; the action head (not released) reads none. */
  views: Partial<Record<NetworkKey, SourceView[]>>;
  close(): void;
}

/** Opens a downloaded checkpoint folder: its files, the sizes they imply, and each network's file. */
export function openCheckpoint(dir: string, options: { textLen?: number } = {}): OpenCheckpoint {
  const paths = locateCheckpoint(dir);
  const config = readSvnConfig(paths.config);
  const opened: TensorSource[] = [];
  try {
    const open = (path: string) => {
      const source = openTensorFile(path);
      opened.push(source);
      return source;
    };
    const svn = open(paths.svn);
    const vae = open(paths.vae);
    const t5 = open(paths.t5);
    const preset = presetFromCheckpoint(config, { svn, vae, t5 }, options);
    const svnView = [{ source: svn, prefix: 'vgm.' }];
    const vaeView = [{ source: vae, prefix: '' }];
    return {
      paths,
      preset,
      views: {
        dit_step: svnView,
        history_compressor: svnView,
        vae_encoder: vaeView,
        vae_decoder: vaeView,
        text_encoder: [{ source: t5, prefix: '' }],
      },
      close: () => opened.forEach((s) => s.close()),
    };
  } catch (err) {
    opened.forEach((s) => s.close());
    throw err;
  }
}

/** Content hashes of the checkpoint files, recorded in the manifest (paths relative to the folder). */
export async function hashCheckpoint(
  paths: CheckpointPaths,
): Promise<{ file: string; sha256: string; bytes: number }[]> {
  const files = [paths.config, paths.svn, paths.vae, paths.t5, paths.tokenizer];
  return Promise.all(
    files.map(async (path) => ({
      file: relative(paths.dir, path),
      sha256: await sha256File(path),
      bytes: statSync(path).size,
    })),
  );
}

export { CheckpointError };
