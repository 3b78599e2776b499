import { statSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { NetworkKey } from '../network';
import type { ModelPreset } from '../presets';
import { CHECKPOINT_LAYOUT, type CheckpointFolder, openCheckpointFolder } from '../weights/checkpoint-folder';
import { type CheckpointView, sha256File } from '../weights/resolve';
import { parseSvnConfig } from './folder';
import { presetFromCheckpoint } from './preset';

export interface OpenCheckpoint {
  folder: CheckpointFolder;
  preset: ModelPreset;
  /** Which file each released network reads; the action head (not released) reads none. */
  views: Partial<Record<NetworkKey, CheckpointView[]>>;
  close(): void;
}

/** Opens a downloaded checkpoint folder: its files, the sizes they imply, and each network's files. */
export function openCheckpoint(dir: string, options: { textLen?: number } = {}): OpenCheckpoint {
  const folder = openCheckpointFolder(dir);
  try {
    const config = parseSvnConfig(folder.svnConfig, join(dir, CHECKPOINT_LAYOUT.svnConfig));
    const preset = presetFromCheckpoint(
      config,
      { svn: folder.svn.map((v) => v.source), vae: folder.vae.source, t5: folder.t5.source },
      options,
    );
    return {
      folder,
      preset,
      views: {
        dit_step: folder.svn,
        history_compressor: folder.svn,
        vae_encoder: [folder.vae],
        vae_decoder: [folder.vae],
        text_encoder: [folder.t5],
      },
      close: () => folder.close(),
    };
  } catch (err) {
    folder.close();
    throw err;
  }
}

/** Content hashes of the checkpoint files, recorded in the manifest (paths relative to the folder). */
export async function hashCheckpoint(
  folder: CheckpointFolder,
): Promise<{ file: string; sha256: string; bytes: number }[]> {
  const files = [
    join(folder.dir, CHECKPOINT_LAYOUT.svnConfig),
    ...folder.sources.map((s) => s.path),
    folder.tokenizerPath,
  ];
  return Promise.all(
    files.map(async (path) => ({
      file: relative(folder.dir, path),
      sha256: await sha256File(path),
      bytes: statSync(path).size,
    })),
  );
}
