import { strict as assert } from 'node:assert';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { openBag } from '../../src/bag/reader';
import { DEMO_INSTRUCTION, demoCommand, runDemo } from '../../src/cli/commands/demo';
import type { ReplayReport } from '../../src/replay/report';
import { tempDir } from '../bag/helpers';

describe('svnav demo (short duration, temp dirs)', function () {
  this.timeout(120_000);
  let tmp: ReturnType<typeof tempDir>;
  let quietErr: typeof console.error;
  before(() => {
    tmp = tempDir('demo');
    quietErr = console.error;
    console.error = () => undefined;
  });
  after(() => {
    console.error = quietErr;
    tmp.cleanup();
  });

  it('builds the tiny model and a demo bag, replays it untrained-allowed, and writes bag and report', async () => {
    const out = path.join(tmp.dir, 'out');
    const model = path.join(tmp.dir, 'models', 'tiny');
    const { report, files, built } = await runDemo({
      out,
      duration: 4,
      model,
      providers: ['cpu'],
      quiet: true,
    });
    assert.deepEqual(built, { model: true, bag: true });
    assert.ok(existsSync(path.join(model, 'model.json')));
    assert.equal(files.input, path.join(out, 'go2_demo_input.mcap'));
    assert.equal(files.replay, path.join(out, 'go2_demo_replay.mcap'));
    const written = JSON.parse(readFileSync(files.report, 'utf8')) as ReplayReport;
    assert.equal(written.instruction, DEMO_INSTRUCTION);
    assert.equal(written.model.untrained, true);
    assert.equal(written.camera.topic, '/camera/image_raw/compressed');
    assert.equal(written.camera_frames, 60, '4 s at 15 Hz');
    assert.ok(written.planner.plans! >= 2, `${written.planner.plans} plans`);
    assert.equal(written.eval.plans.length + written.eval.skipped.length, written.planner.plans);
    assert.deepEqual(report.eval.summary, written.eval.summary);
    const reader = await openBag(files.replay);
    try {
      const names = reader.topics().map((t) => t.name);
      for (const t of ['/cmd_vel', '/svnav/plan', '/svnav/imagined_future', '/odom', '/recorded/cmd_vel'])
        assert.ok(names.includes(t), `${t} in ${names.join(', ')}`);
    } finally {
      await reader.close();
    }
  });

  it('reuses a readable model and bag, rebuilds an outdated model, and prints where the files are', async () => {
    const out = path.join(tmp.dir, 'out');
    const model = path.join(tmp.dir, 'models', 'tiny');
    // An svnav model directory whose file no longer matches its manifest (built by an older version, say).
    const manifestPath = path.join(model, 'model.json');
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as {
      networks: Record<string, { sha256: string }>;
    };
    manifest.networks.dit_step!.sha256 = '0'.repeat(64);
    writeFileSync(manifestPath, JSON.stringify(manifest));
    const bagWritten = statSync(path.join(out, 'go2_demo_input.mcap')).mtimeMs;
    const lines: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((s: string) => lines.push(String(s)) > 0) as typeof process.stdout.write;
    let status: number;
    try {
      status = await demoCommand({ out, duration: 4, model, providers: ['cpu'], quiet: true });
    } finally {
      process.stdout.write = write;
    }
    assert.equal(status, 0);
    const text = lines.join('');
    assert.match(text, /UNTRAINED/);
    assert.match(text, /go2_demo_replay\.mcap/);
    assert.match(text, /sparse_video_nav\.layout\.json/);
    assert.match(text, /ADE \[m\]/);
    const rebuilt = JSON.parse(readFileSync(manifestPath, 'utf8')) as typeof manifest;
    assert.notEqual(rebuilt.networks.dit_step!.sha256, '0'.repeat(64), 'model rebuilt');
    assert.equal(statSync(path.join(out, 'go2_demo_input.mcap')).mtimeMs, bagWritten, 'bag reused');
  });
});
