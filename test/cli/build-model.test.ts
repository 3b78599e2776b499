import { strict as assert } from 'node:assert';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main';
import type { DryRunReport } from '../../src/model/build';
import { readManifest } from '../../src/model/manifest';
import { FIXTURE_TEXT_LEN, officialTinyCheckpoint } from '../support/official-checkpoint';
import { runCli } from './run-cli';

async function capture(argv: string[]): Promise<string> {
  const chunks: string[] = [];
  const write = process.stdout.write.bind(process.stdout);
  const log = console.log;
  process.stdout.write = ((c: string | Uint8Array) => (
    chunks.push(String(c)),
    true
  )) as typeof process.stdout.write;
  console.log = (...a: unknown[]) => chunks.push(a.join(' ') + '\n');
  try {
    await main(['node', 'svnav', ...argv]);
  } finally {
    process.stdout.write = write;
    console.log = log;
  }
  return chunks.join('');
}

describe('svnav build-model', function () {
  this.timeout(120_000);

  it('reports the released sizes at 256×256 in a dry run, with FLOPs per plan at 1, 15 and 45 history chunks', async () => {
    const report = JSON.parse(
      await capture(['build-model', '--preset', 'official', '--dry-run', '--json']),
    ) as DryRunReport;
    assert.deepEqual(report.resolution, { height: 256, width: 256 });
    const by = report.parameters.byNetwork;
    // OFFICIAL.md §8: 1,785,980,992 elements in the SVN checkpoint (DiT + history path).
    assert.equal(by.dit_step! + by.history_compressor!, 1_785_980_992);
    assert.equal(by.vae_encoder! + by.vae_decoder!, 126_892_531);
    const dit = report.networks.find((n) => n.key === 'dit_step')!;
    assert.equal(dit.callsPerPlan, 4);
    const history = report.networks.filter((n) => n.key === 'history_compressor');
    assert.deepEqual(
      history.map((h) => h.historyChunks),
      [1, 15, 45],
    );
    assert.ok(
      history[0]!.macsPerCall < history[1]!.macsPerCall && history[1]!.macsPerCall < history[2]!.macsPerCall,
    );
    assert.deepEqual(
      report.tflopsPerPlan.map((t) => t.historyChunks),
      [1, 15, 45],
    );
    assert.ok(report.tflopsPerPlan.every((t) => t.tflops > dit.gflopsPerPlan / 1e3));
  });

  it('rejects history lengths beyond the Q-Former table in a dry run (exit 2)', async () => {
    const refused = await runCli(['build-model', '--preset', 'official', '--dry-run', '--history', '1,600']);
    assert.equal(refused.status, 2);
    assert.match(refused.stderr, /--history must list chunk counts from 1 to 512/);
  });

  it('writes a tiny model directory whose manifest names every network, its hash and its provenance', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'svnav-build-')), 'm');
    const text = await capture(['build-model', '--preset', 'tiny', '--out', out, '--seed', '7']);
    assert.match(text, /seeded \(untrained\): the video generator and the action head/);
    const m = readManifest(out);
    assert.equal(m.preset, 'tiny');
    assert.equal(Object.keys(m.networks).length, 7);
    for (const [key, n] of Object.entries(m.networks)) {
      assert.ok(existsSync(join(out, n.file)), key);
      assert.deepEqual(n.provenance, { kind: 'seeded', seed: 7 });
    }
    assert.deepEqual(m.sampler, {
      kind: 'flow_unipc',
      steps: 4,
      num_train_timesteps: 1000,
      shift: 1,
      solver_order: 2,
      solver_type: 'bh2',
    });
    assert.deepEqual(m.trained, { video_generator: false, action_head: false });
    assert.deepEqual(m.sources, []);
    assert.equal(JSON.parse(readFileSync(join(out, 'tokenizer.json'), 'utf8')).model.type, 'Unigram');
  });

  it('builds the downloaded checkpoint folder: sizes from its files, weights loaded, sources hashed', async () => {
    const dir = officialTinyCheckpoint();
    const out = join(mkdtempSync(join(tmpdir(), 'svnav-build-')), 'm');
    const text = await capture([
      'build-model',
      '--checkpoint',
      dir,
      '--text-len',
      String(FIXTURE_TEXT_LEN),
      '--out',
      out,
    ]);
    assert.match(text, /seeded \(untrained\): the action head \(not released\)/);
    const m = readManifest(out);
    assert.equal(m.preset, 'checkpoint');
    assert.deepEqual(m.trained, { video_generator: true, action_head: false });
    assert.equal(m.networks.dit_step.provenance.kind, 'loaded');
    assert.equal(m.networks.text_encoder.provenance.kind, 'loaded');
    assert.equal(m.networks.action_step.provenance.kind, 'seeded');
    assert.equal(m.text.text_len, FIXTURE_TEXT_LEN);
    assert.equal(m.text.dim, 32);
    assert.equal(m.text.dit_dim, 4096);
  });

  it('refuses a folder with a missing file, naming every missing one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'svnav-ckpt-'));
    const run = await runCli(['build-model', '--checkpoint', dir, '--out', join(dir, 'out')]);
    assert.equal(run.status, 2);
    assert.match(
      run.stderr,
      /missing svn_ckpt\/config\.json, svn_ckpt\/diffusion_pytorch_model\.safetensors, Wan2\.1_VAE\.pth, models_t5_umt5-xxl-enc-bf16\.pth, google\/umt5-xxl\/tokenizer\.json/,
    );
  });

  it('refuses a config.json whose former sizes do not fit a square latent grid, naming config.json', async () => {
    const dir = officialTinyCheckpoint();
    const config = join(dir, 'svn_ckpt/config.json');
    const parsed = JSON.parse(readFileSync(config, 'utf8'));
    parsed.vgm_qformer_config.num_latents = 48;
    writeFileSync(config, JSON.stringify(parsed));
    const out = join(dir, 'out');
    const run = await runCli(['build-model', '--checkpoint', dir, '--out', out]);
    assert.equal(run.status, 2);
    assert.match(
      run.stderr,
      /config\.json: .*num_latents 48 \/ Video-Former num_frame 2 is not a square latent grid/,
    );
    assert.equal(existsSync(out), false);
  });

  it('refuses a checkpoint of another architecture, listing the tensors that do not fit', async () => {
    const dir = officialTinyCheckpoint();
    const config = join(dir, 'svn_ckpt/config.json');
    const parsed = JSON.parse(readFileSync(config, 'utf8'));
    parsed.vgm_num_layers = 1;
    writeFileSync(config, JSON.stringify(parsed));
    const out = join(dir, 'out');
    const run = await runCli(['build-model', '--checkpoint', dir, '--text-len', '64', '--out', out]);
    assert.equal(run.status, 2);
    assert.match(run.stderr, /tensors no network uses: vgm\.blocks\.1\./);
    assert.equal(existsSync(out), false);
  });
});
