import { strict as assert } from 'node:assert';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main';
import type { DryRunReport } from '../../src/model/build';
import { readManifest } from '../../src/model/manifest';
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
  this.timeout(60_000);

  it('reports the paper-size networks in a dry run without writing weights', async () => {
    const report = JSON.parse(
      await capture(['build-model', '--preset', 'full', '--dry-run', '--json']),
    ) as DryRunReport;
    const dit = report.networks.find((n) => n.key === 'dit_step')!;
    const wan =
      dit.parameters - (report.parameters.breakdown.dit_step!.history_embedder ?? 0) - 30 * 9_449_472;
    assert.ok(Math.abs(wan / 1.42e9 - 1) < 0.02, `Wan part ${wan}`);
    const action = report.parameters.byNetwork.action_context! + report.parameters.byNetwork.action_step!;
    assert.ok(Math.abs(action / 23.4e6 - 1) < 0.15, `action head ${action}`);
    assert.ok(Math.abs(report.parameters.byNetwork.vae_encoder! / 53.6e6 - 1) < 0.01);
    assert.ok(Math.abs(report.parameters.byNetwork.vae_decoder! / 73.3e6 - 1) < 0.01);
    assert.deepEqual(report.resolution, { height: 256, width: 448 });
    assert.equal(dit.callsPerPlan, 4);
    // SYSTEM.md §6: ≈67 TFLOP for the 4 DiT phases; the rest of the critical path is small beside it.
    assert.ok(dit.gflopsPerPlan > 60_000 && dit.gflopsPerPlan < 75_000, `DiT ${dit.gflopsPerPlan} GFLOP`);
    assert.ok(report.tflopsPerPlan > dit.gflopsPerPlan / 1e3);
  });

  it('scales the FLOPs with --resolution and rejects one that is not a multiple of 16', async () => {
    const big = JSON.parse(
      await capture(['build-model', '--preset', 'full', '--dry-run', '--json', '--resolution', '480x832']),
    ) as DryRunReport;
    assert.deepEqual(big.resolution, { height: 480, width: 832 });
    assert.ok(big.tflopsPerPlan > 250, `${big.tflopsPerPlan} TFLOP at 480×832`);
    const refused = await runCli(['build-model', '--preset', 'full', '--dry-run', '--resolution', '250x448']);
    assert.equal(refused.status, 2);
    assert.match(refused.stderr, /multiples of 16/);
  });

  it('writes a tiny model directory whose manifest names every network, its hash and its provenance', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'svnav-build-')), 'm');
    const text = await capture(['build-model', '--preset', 'tiny', '--out', out, '--seed', '7']);
    assert.match(text, /UNTRAINED/);
    const m = readManifest(out);
    assert.equal(m.preset, 'tiny');
    assert.equal(Object.keys(m.networks).length, 8);
    for (const [key, n] of Object.entries(m.networks)) {
      assert.ok(existsSync(join(out, n.file)), key);
      assert.deepEqual(n.provenance, { kind: 'seeded', seed: 7 });
    }
    assert.deepEqual(
      m.sampler.pcm_sigmas.map((s) => +s.toFixed(4)),
      [1, 0.9406, 0.8333, 0.6373, 0],
    );
    assert.equal(JSON.parse(readFileSync(join(out, 'tokenizer.json'), 'utf8')).model.type, 'Unigram');
  });
});
