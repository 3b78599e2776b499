import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { buildModelDirectory } from '../../src/model/build';
import { CHECKPOINT_LAYOUT } from '../../src/model/weights/checkpoint-folder';
import { openCheckpoint } from '../../src/model/checkpoint/open';
import type { ModelManifest } from '../../src/model/manifest';
import { OFFICIAL_TINY } from '../official-fixtures';

/** The fixture's tokenizer length (`text_len`; the release's is 512). */
export const FIXTURE_TEXT_LEN = 64;

/**
 * A checkpoint folder laid out exactly as the release's download (OFFICIAL.md §0), assembled from the official-tiny
 * fixture's files under their official names.
 */
export function officialTinyCheckpoint(): string {
  const root = mkdtempSync(join(tmpdir(), 'svnav-ckpt-'));
  process.once('exit', () => rmSync(root, { recursive: true, force: true }));
  const from: [string, string][] = [
    ['svn_ckpt/config.json', CHECKPOINT_LAYOUT.svnConfig],
    ['svn_ckpt/diffusion_pytorch_model.safetensors', CHECKPOINT_LAYOUT.svnWeights],
    ['vae/vae_tiny.pth', CHECKPOINT_LAYOUT.vae],
    ['t5/t5_tiny_enc_bf16.pth', CHECKPOINT_LAYOUT.t5],
    ['t5/tokenizer/tokenizer.json', CHECKPOINT_LAYOUT.tokenizer],
  ];
  for (const [fixture, official] of from) {
    mkdirSync(dirname(join(root, official)), { recursive: true });
    copyFileSync(join(OFFICIAL_TINY, fixture), join(root, official));
  }
  copyFileSync(
    join(OFFICIAL_TINY, 't5/tokenizer/tokenizer_config.json'),
    join(root, 'google/umt5-xxl/tokenizer_config.json'),
  );
  return root;
}

const built = new Map<string, Promise<{ dir: string; manifest: ModelManifest }>>();

/** The fixture checkpoint built into a model directory (once per process and dtype), as `svnav build-model --checkpoint` does. */
export function officialTinyModel(
  floatType: 'float32' | 'float16' = 'float32',
): Promise<{ dir: string; manifest: ModelManifest }> {
  let entry = built.get(floatType);
  if (!entry) {
    const checkpoint = openCheckpoint(officialTinyCheckpoint(), { textLen: FIXTURE_TEXT_LEN });
    const root = mkdtempSync(join(tmpdir(), 'svnav-official-'));
    process.once('exit', () => rmSync(root, { recursive: true, force: true }));
    const out = join(root, 'model');
    entry = buildModelDirectory({ preset: checkpoint.preset, outDir: out, floatType, seed: 0, checkpoint })
      .then((manifest) => ({ dir: out, manifest }))
      .finally(() => checkpoint.close());
    built.set(floatType, entry);
  }
  return entry;
}
