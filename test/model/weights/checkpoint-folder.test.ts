import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildTextEncoder } from '../../../src/model/networks/text_encoder';
import { TINY } from '../../../src/model/presets';
import { CHECKPOINT_LAYOUT, openCheckpointFolder } from '../../../src/model/weights/checkpoint-folder';
import { checkpointWeightsFromSources, unclaimedTensors } from '../../../src/model/weights/resolve';
import { writeSafetensors } from '../../../src/model/weights/safetensors';
import { CheckpointError, openTensorFile } from '../../../src/model/weights/tensor-source';

const TINY_DIR = join(__dirname, '..', '..', 'fixtures', 'official-tiny');

/** The fixture's files arranged as the released checkpoint folder. */
function folder(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ckpt-'));
  const put = (from: string, to: string) => {
    mkdirSync(join(dir, to, '..'), { recursive: true });
    copyFileSync(join(TINY_DIR, from), join(dir, to));
  };
  put('svn_ckpt/config.json', CHECKPOINT_LAYOUT.svnConfig);
  put('svn_ckpt/diffusion_pytorch_model.safetensors', CHECKPOINT_LAYOUT.svnWeights);
  put('vae/vae_tiny.pth', CHECKPOINT_LAYOUT.vae);
  put('t5/t5_tiny_enc_bf16.pth', CHECKPOINT_LAYOUT.t5);
  put('t5/tokenizer/tokenizer.json', CHECKPOINT_LAYOUT.tokenizer);
  return dir;
}

describe('the released checkpoint folder', () => {
  it('opens every part with its prefix; the fixture umT5 loads into the text encoder with nothing left over', () => {
    const dir = folder();
    const ck = openCheckpointFolder(dir);
    try {
      assert.equal(ck.svnConfig.vgm_dim, 64);
      assert.equal(ck.svn.length, 1);
      assert.equal(ck.svn[0]!.prefix, 'vgm.');
      assert.equal(ck.svn[0]!.source.names().length, 190);
      assert.ok(ck.svn[0]!.source.names().every((n) => n.startsWith('vgm.')));
      assert.equal(ck.vae.source.names().length, 194);
      assert.equal(ck.t5.source.info('token_embedding.weight')!.dtype, 'bfloat16');
      assert.equal(ck.tokenizerPath, join(dir, 'google/umt5-xxl/tokenizer.json'));
      // The fixture's T5 sizes (its README), whatever the presets say.
      const text = { vocab: 128, dim: 32, dimAttn: 32, dimFfn: 64, heads: 4, layers: 2 };
      const preset = { ...TINY, text: { ...text, numBuckets: 32, maxDistance: 128, textLen: 64, eps: 1e-6 } };
      const def = buildTextEncoder(preset, { floatType: 'float32' });
      assert.deepEqual(unclaimedTensors([ck.t5], [def]), []);
      assert.equal(checkpointWeightsFromSources(def, [ck.t5], 0).provenance.kind, 'loaded');
    } finally {
      ck.close();
      rmSync(dir, { recursive: true });
    }
  });

  it('reads sharded SVN weights through their index', () => {
    const dir = folder();
    const whole = openTensorFile(join(dir, CHECKPOINT_LAYOUT.svnWeights));
    const names = whole.names().sort();
    const shard = (part: string[]) =>
      Object.fromEntries(part.map((n) => [n, { shape: whole.info(n)!.shape, data: whole.readFloat32(n) }]));
    const half = names.length >> 1;
    writeSafetensors(join(dir, 'svn_ckpt', 'a.safetensors'), shard(names.slice(0, half)));
    writeSafetensors(join(dir, 'svn_ckpt', 'b.safetensors'), shard(names.slice(half)));
    whole.close();
    rmSync(join(dir, CHECKPOINT_LAYOUT.svnWeights));
    const weightMap = Object.fromEntries(
      names.map((n, i) => [n, i < half ? 'a.safetensors' : 'b.safetensors']),
    );
    writeFileSync(join(dir, CHECKPOINT_LAYOUT.svnIndex), JSON.stringify({ weight_map: weightMap }));
    const ck = openCheckpointFolder(dir);
    try {
      assert.equal(ck.svn.length, 2);
      assert.deepEqual(ck.svn.flatMap((v) => v.source.names()).sort(), names);
    } finally {
      ck.close();
      rmSync(dir, { recursive: true });
    }
  });

  it('lists every missing part by its path, and refuses a config of another model', () => {
    const dir = folder();
    rmSync(join(dir, CHECKPOINT_LAYOUT.vae));
    rmSync(join(dir, CHECKPOINT_LAYOUT.tokenizer));
    assert.throws(
      () => openCheckpointFolder(dir),
      (e: Error) =>
        e instanceof CheckpointError &&
        e.message.endsWith('missing Wan2.1_VAE.pth, google/umt5-xxl/tokenizer.json') &&
        e.message.startsWith(dir),
    );
    const other = folder();
    writeFileSync(join(other, CHECKPOINT_LAYOUT.svnConfig), JSON.stringify({ _class_name: 'WanModel' }));
    assert.throws(
      () => openCheckpointFolder(other),
      /config\.json: _class_name is "WanModel", expected "SVNModel"/,
    );
    rmSync(dir, { recursive: true });
    rmSync(other, { recursive: true });
  });
});
