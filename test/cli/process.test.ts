import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { openBag } from '../../src/bag/reader';
import type { Twist } from '../../src/messages/ros';
import type { ReplayReport } from '../../src/replay/report';
import { tempDir } from '../bag/helpers';
import { writeSmallBag } from '../replay/bags';
import { tinyModelDir } from '../support/tiny-model';
import { replayArgv } from './run-cli';

const ROOT = path.resolve(__dirname, '../..');

interface Child {
  readonly done: Promise<{ status: number | null; signal: NodeJS.Signals | null; stderr: string }>;
  /** stdout and stderr so far (node logs go to stdout, svnav's own lines to stderr). */
  readonly output: () => string;
  kill(signal: NodeJS.Signals): void;
}

/** `svnav ARGV…` as its own process (TypeScript sources through ts-node), as a user or a supervisor runs it. */
function svnav(argv: readonly string[]): Child {
  const child = spawn(
    process.execPath,
    [
      '-r',
      'ts-node/register/transpile-only',
      '-e',
      "require('./src/cli/main').main(['node', 'svnav', ...process.argv.slice(1)])",
      ...argv,
    ],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  let output = '';
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
    output += d.toString();
  });
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  const done = new Promise<{ status: number | null; signal: NodeJS.Signals | null; stderr: string }>(
    (resolve) => child.on('exit', (status, signal) => resolve({ status, signal, stderr })),
  );
  return { done, output: () => output, kill: (s) => child.kill(s) };
}

async function waitFor(what: () => boolean, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!what()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('svnav as a process: signals and a long command line', function () {
  this.timeout(120_000);
  let tmp: ReturnType<typeof tempDir>;
  let model: string;
  let bag: string;
  /** `svnav replay` of the fixture bag, paced in real time so that a signal lands mid-replay. */
  const realtimeReplay = (out: string, ...extra: string[]): string[] =>
    replayArgv(bag, model, out, ...extra, '--allow-untrained', '--realtime');
  before(async () => {
    tmp = tempDir('process');
    model = await tinyModelDir();
    bag = path.join(tmp.dir, 'input.mcap');
    await writeSmallBag(bag, { duration_s: 8 });
  });
  after(() => tmp.cleanup());

  for (const [signal, status] of [
    ['SIGTERM', 143],
    ['SIGHUP', 129],
  ] as const) {
    it(`${signal} mid-replay: exit ${status}, a finished indexed MCAP ending in a zero Twist, and the report`, async () => {
      const out = path.join(tmp.dir, `${signal}.mcap`);
      const report = path.join(tmp.dir, `${signal}.json`);
      const child = svnav(realtimeReplay(out, '--report', report));
      try {
        await waitFor(() => /→ \S+ at model/.test(child.output()), 90_000);
      } catch (err) {
        child.kill('SIGKILL');
        throw err;
      }
      await new Promise((r) => setTimeout(r, 1500));
      child.kill(signal);
      const result = await child.done;
      assert.equal(result.status, status, result.stderr);
      const reader = await openBag(out);
      assert.equal(reader.indexed, true, 'summary and footer written');
      const twists: Twist[] = [];
      for await (const m of reader.messages({ topics: ['/cmd_vel'] })) twists.push(m.message as Twist);
      const duration = Number(reader.endTimeNs! - reader.startTimeNs!) / 1e9;
      await reader.close();
      assert.ok(duration > 0.5 && duration < 7.5, `stopped mid-bag: ${duration} s replayed`);
      const last = twists[twists.length - 1]!;
      assert.deepEqual([last.linear.x, last.linear.y, last.angular.z], [0, 0, 0]);
      const written = JSON.parse(readFileSync(report, 'utf8')) as ReplayReport;
      assert.equal(written.aborted, true);
      assert.ok(!readdirSync(tmp.dir).some((e) => e.includes('.partial-')), 'no partial file left');
    });
  }

  it('SIGKILL mid-replay: nothing appears at --out; the partial bag beside it opens by streaming', async () => {
    const out = path.join(tmp.dir, 'killed.mcap');
    const child = svnav(realtimeReplay(out));
    try {
      await waitFor(() => /→ \S+ at model/.test(child.output()), 90_000);
      await new Promise((r) => setTimeout(r, 2500));
    } finally {
      child.kill('SIGKILL');
    }
    await child.done;
    assert.equal(existsSync(out), false);
    const partial = readdirSync(tmp.dir).filter((e) => e.startsWith('.killed.mcap.partial-'));
    assert.equal(partial.length, 1, readdirSync(tmp.dir).join(', '));
    // Finished chunks (512 KiB each) would be readable; this short bag has not filled one, so only the header.
    const reader = await openBag(path.join(tmp.dir, partial[0]!), { onWarning: () => undefined });
    assert.equal(reader.indexed, false, 'no summary: read by streaming');
    assert.match(reader.damage!.message, /without summary and footer|truncated/);
    await reader.close();
    rmSync(path.join(tmp.dir, partial[0]!));
  });

  it('an instruction of 15 000 characters is refused (exit 2), not a segfault in onnxruntime-node', async () => {
    const out = path.join(tmp.dir, 'long.mcap');
    const child = svnav([
      'replay',
      bag,
      '--instruction',
      'a'.repeat(15_000),
      '--model',
      model,
      '--out',
      out,
      '--allow-untrained',
    ]);
    const result = await child.done;
    assert.equal(result.signal, null);
    assert.equal(result.status, 2, result.stderr);
    assert.match(result.stderr, /--instruction is 15000 bytes/);
    assert.equal(existsSync(out), false);
  });
});
