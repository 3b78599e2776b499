import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { McapIndexedReader, McapWriter } from '@mcap/core';
import { loadDecompressHandlers } from '@mcap/support';
import { FileHandleReadable, FileHandleWritable } from '@mcap/nodejs';
import { open } from 'node:fs/promises';
import { openBag } from '../../src/bag/reader';
import { demoCommand } from '../../src/cli/commands/demo';
import type { Twist } from '../../src/messages/ros';
import type { ReplayReport } from '../../src/replay/report';
import { tempDir } from '../bag/helpers';
import { writeSmallBag, ZSTD_BAG } from '../replay/bags';
import { tinyModelDir } from '../support/tiny-model';
import { replayArgv, runCli } from './run-cli';

const sha = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex');

/** A directory's entries, to show that a refused command left nothing behind (no partial files either). */
const listing = (dir: string): string[] => readdirSync(dir).sort();

describe('svnav never destroys a user file, never crashes on bad input, and keeps its exit-status contract', function () {
  this.timeout(120_000);
  let tmp: ReturnType<typeof tempDir>;
  let model: string;
  let bag: string;
  const at = (...parts: string[]): string => path.join(tmp.dir, ...parts);
  const replayArgs = (out: string, ...extra: string[]): string[] => replayArgv(bag, model, out, ...extra);

  before(async () => {
    tmp = tempDir('files');
    model = await tinyModelDir();
    bag = at('input.mcap');
    await writeSmallBag(bag, { duration_s: 4 });
  });
  after(() => tmp.cleanup());

  describe('1. build-model', () => {
    it('build-model refuses a non-empty --out that is not a model directory, and leaves it as it was', async () => {
      const dir = at('home');
      mkdirSync(dir);
      writeFileSync(path.join(dir, 'thesis.tex'), 'years of work');
      const run = await runCli(['build-model', '--preset', 'tiny', '--out', dir, '--force']);
      assert.equal(run.status, 2, run.stderr);
      assert.match(
        run.stderr,
        /home already exists and is not a model directory \(no readable model\.json\)/,
      );
      assert.deepEqual(listing(dir), ['thesis.tex']);
      assert.equal(readFileSync(path.join(dir, 'thesis.tex'), 'utf8'), 'years of work');
      assert.ok(!listing(tmp.dir).some((e) => e.includes('partial')), 'no partial directory left');
    });

    it('build-model refuses an --out that is an existing bag file, even with --force', async () => {
      const file = at('recording.mcap');
      copyFileSync(bag, file);
      const before = sha(file);
      const run = await runCli(['build-model', '--preset', 'tiny', '--out', file, '--force']);
      assert.equal(run.status, 2);
      assert.match(run.stderr, /recording\.mcap already exists and is not a directory/);
      assert.equal(sha(file), before);
    });

    it('build-model replaces a model directory it built only with --force', async () => {
      const dir = at('model-copy');
      const first = await runCli(['build-model', '--preset', 'tiny', '--out', dir, '--seed', '1']);
      assert.equal(first.status, 0, first.stderr);
      const again = await runCli(['build-model', '--preset', 'tiny', '--out', dir, '--seed', '2']);
      assert.equal(again.status, 2);
      assert.match(again.stderr, /already exists \(a model directory written by svnav\); pass --force/);
      const forced = await runCli([
        'build-model',
        '--preset',
        'tiny',
        '--out',
        dir,
        '--seed',
        '2',
        '--force',
      ]);
      assert.equal(forced.status, 0, forced.stderr);
      const manifest = JSON.parse(readFileSync(path.join(dir, 'model.json'), 'utf8')) as {
        networks: Record<string, { provenance: { seed: number } }>;
      };
      assert.equal(manifest.networks.dit_step!.provenance.seed, 2);
    });
  });

  describe('2. demo', () => {
    it('demo leaves a model directory whose model.json does not open alone and exits 2', async () => {
      const dir = at('damaged-model');
      mkdirSync(dir);
      writeFileSync(path.join(dir, 'model.json'), '{ truncated');
      writeFileSync(path.join(dir, 'notes.txt'), 'mine');
      const run = await runCli(['demo', '--model', dir, '--out', at('demo-out'), '--duration', '2']);
      assert.equal(run.status, 2, run.stderr);
      assert.match(
        run.stderr,
        /not a model directory \(no readable model\.json\); the demo will not replace it/,
      );
      assert.deepEqual(listing(dir), ['model.json', 'notes.txt']);
      assert.equal(readFileSync(path.join(dir, 'model.json'), 'utf8'), '{ truncated');
    });

    it('demo will not overwrite a file of the same name it did not write', async () => {
      const out = at('demo-foreign');
      mkdirSync(out);
      writeFileSync(path.join(out, 'report.json'), '{"my": "numbers"}');
      await assert.rejects(
        demoCommand({ out, duration: 2, model, providers: ['cpu'], quiet: true }),
        /report\.json already exists and is not a report svnav wrote/,
      );
      assert.equal(readFileSync(path.join(out, 'report.json'), 'utf8'), '{"my": "numbers"}');
    });
  });

  describe('3. and 4. replay outputs', () => {
    it('replay refuses an existing --out it did not write, before loading the model, and leaves it intact', async () => {
      const out = at('users.mcap');
      writeFileSync(out, 'not ours');
      const run = await runCli(replayArgs(out, '--allow-untrained', '--force'));
      assert.equal(run.status, 2);
      assert.match(run.stderr, /--out .*users\.mcap already exists and is not an MCAP file/);
      assert.equal(readFileSync(out, 'utf8'), 'not ours');
    });

    it('a replay that fails at start (untrained model not allowed) leaves the existing --out untouched', async () => {
      const out = at('earlier-replay.mcap');
      copyFileSync(bag, out); // a bag svnav wrote: --force may replace it, but only with a finished replay
      const before = sha(out);
      const entries = listing(tmp.dir);
      const run = await runCli(replayArgs(out, '--force'));
      assert.equal(run.status, 2, run.stderr);
      assert.match(run.stderr, /untrained/);
      assert.equal(sha(out), before);
      assert.deepEqual(listing(tmp.dir), entries, 'no partial file left');
    });

    it('replay refuses --out equal to the input (also through another path) and the input stays intact', async () => {
      const before = sha(bag);
      const same = await runCli(replayArgs(bag, '--allow-untrained', '--force'));
      assert.equal(same.status, 2);
      assert.match(same.stderr, /is also an input/);
      const other = path.join(tmp.dir, '.', '..', path.basename(tmp.dir), 'input.mcap');
      const aliased = await runCli(replayArgs(other, '--allow-untrained', '--force'));
      assert.equal(aliased.status, 2);
      assert.equal(sha(bag), before);
      const reader = await openBag(bag);
      assert.ok(reader.indexed && reader.messageCount > 0);
      await reader.close();
    });

    it('a finished replay replaces its own earlier output with --force, atomically', async () => {
      const out = at('replaced.mcap');
      const report = at('replaced.json');
      const first = await runCli(replayArgs(out, '--allow-untrained', '--report', report));
      assert.equal(first.status, 0, first.stderr);
      const second = await runCli(replayArgs(out, '--allow-untrained', '--report', report));
      assert.equal(second.status, 2);
      assert.match(second.stderr, /pass --force to replace it/);
      const forced = await runCli(replayArgs(out, '--allow-untrained', '--report', report, '--force'));
      assert.equal(forced.status, 0, forced.stderr);
      assert.equal((JSON.parse(readFileSync(report, 'utf8')) as ReplayReport).output, out);
    });
  });

  describe('6. instruction length', () => {
    it('an instruction of 15 000 characters is refused by name with exit 2 before any model is loaded', async () => {
      const run = await runCli([
        'replay',
        bag,
        '--instruction',
        'walk forward '.repeat(1200),
        '--model',
        model,
        '--out',
        at('long.mcap'),
      ]);
      assert.equal(run.status, 2);
      assert.match(run.stderr, /command line is \d+ bytes, at most 8192.*--instruction is 15600 bytes/);
      assert.equal(existsSync(at('long.mcap')), false);
    });

    it('an instruction over 1000 characters but a short command line is refused as an instruction', async () => {
      const run = await runCli(
        replayArgs(at('long2.mcap'), '--allow-untrained', '--instruction', 'go '.repeat(400)),
      );
      assert.equal(run.status, 2);
      assert.match(run.stderr, /the instruction is 1199 characters long; at most 1000/);
    });
  });

  describe('9. exit statuses', () => {
    const cases: { name: string; argv: () => string[]; status: number; says: RegExp }[] = [
      {
        name: 'an unknown option',
        argv: () => ['bag', 'info', '--bogus', bag],
        status: 2,
        says: /unknown option '--bogus'/,
      },
      {
        name: 'a --report in a directory that does not exist (refused before the replay)',
        argv: () => replayArgs(at('r.mcap'), '--allow-untrained', '--report', at('no', 'such', 'r.json')),
        status: 2,
        says: /--report .*: directory .*no\/such does not exist/,
      },
      {
        name: 'a model path that does not exist',
        argv: () => [...replayArgs(at('m.mcap'), '--allow-untrained'), '--model', at('no-model')],
        status: 2,
        says: /model directory .*no-model does not exist/,
      },
      {
        name: 'a model path that is a file',
        argv: () => [...replayArgs(at('m2.mcap'), '--allow-untrained'), '--model', bag],
        status: 2,
        says: /model directory .*input\.mcap is not a directory/,
      },
      {
        name: '--report equal to --out',
        argv: () => replayArgs(at('same.mcap'), '--allow-untrained', '--report', at('same.mcap')),
        status: 2,
        says: /--report and --out are the same file/,
      },
      {
        name: 'an input that does not exist',
        argv: () => [
          'replay',
          at('missing.mcap'),
          '--instruction',
          'go',
          '--model',
          model,
          '--out',
          at('x.mcap'),
        ],
        status: 2,
        says: /cannot open bag: ENOENT/,
      },
    ];
    for (const c of cases) {
      it(`${c.name}: exit ${c.status}, named, nothing written`, async () => {
        const entries = listing(tmp.dir);
        const run = await runCli(c.argv());
        assert.equal(run.status, c.status, run.stderr);
        assert.match(run.stderr, c.says);
        assert.deepEqual(listing(tmp.dir), entries);
      });
    }

    it('a full disk mid-replay: exit 3, named, and no partial file left (needs a tmpfs mount; skipped without)', async function () {
      const full = at('full');
      mkdirSync(full);
      if (spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=200k', 'tmpfs', full]).status !== 0) this.skip();
      try {
        const run = await runCli(
          replayArgs(
            path.join(full, 'out.mcap'),
            '--allow-untrained',
            '--report',
            path.join(full, 'r.json'),
          ).map((a) => (a === bag ? ZSTD_BAG : a)),
        );
        assert.equal(run.status, 3, run.stderr);
        assert.match(run.stderr, /failed: .*ENOSPC.*\(nothing written to .*out\.mcap\)/);
        assert.deepEqual(listing(full), []);
      } finally {
        spawnSync('umount', [full]);
      }
    });

    it('every --help states the exit statuses; help exits 0, an unknown command 2', async () => {
      for (const argv of [
        ['--help'],
        ['replay', '--help'],
        ['bag', 'info', '--help'],
        ['config', 'check', '--help'],
      ]) {
        const run = await runCli(argv);
        assert.equal(run.status, 0, argv.join(' '));
        assert.match(
          run.stdout,
          /Exit status \(every command\):\n {2}0 +done\n {2}1 .*\n {2}2 +refused.*\n {2}3 +failed.*\n {2}128\+N +stopped by signal/,
        );
      }
      assert.equal((await runCli(['nonsense'])).status, 2);
    });

    it('a replay of a truncated bag exits 1 and writes output and report', async () => {
      const cut = at('cut.mcap');
      const bytes = readFileSync(bag);
      writeFileSync(cut, bytes.subarray(0, Math.floor(bytes.length * 0.6)));
      const run = await runCli([
        'replay',
        cut,
        '--instruction',
        'go to the door',
        '--model',
        model,
        '--out',
        at('cut-out.mcap'),
        '--report',
        at('cut.json'),
        '--allow-untrained',
      ]);
      assert.equal(run.status, 1, run.stderr);
      assert.ok(existsSync(at('cut-out.mcap')) && existsSync(at('cut.json')));
    });
  });

  describe('10. nothing to plan is not success', () => {
    it('an empty or whitespace instruction is refused with exit 2', async () => {
      for (const instruction of ['', '   \t ']) {
        const run = await runCli(
          replayArgs(at('empty.mcap'), '--allow-untrained', '--instruction', instruction),
        );
        assert.equal(run.status, 2);
        assert.match(run.stderr, /the instruction is empty/);
      }
      assert.equal(existsSync(at('empty.mcap')), false);
    });

    it('a JSON-encoded bag from another tool is refused with exit 2 naming the encoding', async () => {
      const file = at('json.mcap');
      const handle = await open(file, 'w');
      const w = new McapWriter({ writable: new FileHandleWritable(handle) });
      await w.start({ profile: '', library: 'other-tool 1.0' });
      const schemaId = await w.registerSchema({
        name: 'sensor_msgs/msg/CompressedImage',
        encoding: 'jsonschema',
        data: new TextEncoder().encode('{}'),
      });
      const channelId = await w.registerChannel({
        topic: '/camera/image_raw/compressed',
        schemaId,
        messageEncoding: 'json',
        metadata: new Map(),
      });
      for (let i = 0; i < 5; i++) {
        const t = BigInt(i) * 100_000_000n;
        const data = new TextEncoder().encode(JSON.stringify({ format: 'jpeg', data: [] }));
        await w.addMessage({ channelId, sequence: i, logTime: t, publishTime: t, data });
      }
      await w.end();
      await handle.close();
      const run = await runCli(
        replayArgs(at('json-out.mcap'), '--allow-untrained').map((a) => (a === bag ? file : a)),
      );
      assert.equal(run.status, 2, run.stderr);
      assert.match(run.stderr, /message encoding 'json' \(written by other-tool 1\.0\)/);
      assert.equal(existsSync(at('json-out.mcap')), false);
    });

    it('a bag of 1×1 camera images: refused as too small, no plan, exit 1, and the robot is never told to move', async () => {
      const tiny = at('tiny-images.mcap');
      await writeSmallBag(tiny, { duration_s: 2, imageSize: { width: 1, height: 1 } });
      const out = at('tiny-out.mcap');
      const run = await runCli(
        replayArgs(out, '--allow-untrained', '--report', at('tiny.json')).map((a) => (a === bag ? tiny : a)),
      );
      assert.equal(run.status, 1, run.stderr);
      assert.match(run.stderr, /no plan was made from 20 camera frame\(s\)/);
      assert.match(run.stdout, /too small to plan on/);
      const reader = await openBag(out);
      const twists: Twist[] = [];
      for await (const m of reader.messages({ topics: ['/cmd_vel'] })) twists.push(m.message as Twist);
      await reader.close();
      assert.ok(twists.length > 0);
      assert.ok(twists.every((t) => t.linear.x === 0 && t.linear.y === 0 && t.angular.z === 0));
    });

    it('a bag of undecodable CDR camera messages: exit 1 saying no plan was made', async () => {
      const file = at('garbage.mcap');
      const handle = await open(file, 'w');
      const w = new McapWriter({ writable: new FileHandleWritable(handle) });
      await w.start({ profile: 'ros2', library: 'fuzzer' });
      const schemaId = await w.registerSchema({
        name: 'sensor_msgs/msg/CompressedImage',
        encoding: 'ros2msg',
        data: new TextEncoder().encode(
          'std_msgs/Header header\nstring format\nuint8[] data\n================================================================================\nMSG: std_msgs/Header\nbuiltin_interfaces/Time stamp\nstring frame_id\n================================================================================\nMSG: builtin_interfaces/Time\nint32 sec\nuint32 nanosec\n',
        ),
      });
      const channelId = await w.registerChannel({
        topic: '/camera/image_raw/compressed',
        schemaId,
        messageEncoding: 'cdr',
        metadata: new Map(),
      });
      for (let i = 0; i < 20; i++) {
        const t = 1_700_000_000_000_000_000n + BigInt(i) * 100_000_000n;
        const data = Uint8Array.from({ length: 32 }, (_, k) => (k * 97 + i * 13) % 256);
        data.set([0, 1, 0, 0], 0);
        data.set([0xff, 0xff, 0xff, 0x7f], 12);
        await w.addMessage({ channelId, sequence: i, logTime: t, publishTime: t, data });
      }
      await w.end();
      await handle.close();
      const run = await runCli(
        replayArgs(at('garbage-out.mcap'), '--allow-untrained').map((a) => (a === bag ? file : a)),
      );
      assert.equal(run.status, 1, run.stderr);
      assert.match(run.stderr, /no plan was made from 0 camera frame/);
    });
  });

  describe('11. messages', () => {
    it('control and escape characters in an instruction are stripped before it is recorded or printed', async () => {
      const out = at('ansi.mcap');
      const run = await runCli(
        replayArgs(
          out,
          '--allow-untrained',
          '--instruction',
          'go to the \u001b[31mred\u001b[0m door\u0007\u202e',
        ),
      );
      assert.equal(run.status, 0, run.stderr);
      assert.match(run.stderr, /removed 4 control\/escape character\(s\) from the instruction/);
      assert.match(run.stdout, /instruction: "go to the red door"/);
      // eslint-disable-next-line no-control-regex -- matching control characters is the point
      assert.ok(!/[\u001b\u0007\u202e]/.test(run.stdout));
    });

    it('a rosbag2 directory names its MCAP file instead of EISDIR', async () => {
      const dir = at('rosbag2_dir');
      mkdirSync(dir);
      copyFileSync(bag, path.join(dir, 'rosbag2_dir_0.mcap'));
      writeFileSync(path.join(dir, 'metadata.yaml'), 'rosbag2_bagfile_information: {}\n');
      const run = await runCli(['bag', 'info', dir]);
      assert.equal(run.status, 2);
      assert.match(
        run.stderr,
        /is a rosbag2 bag directory, not an MCAP file; open its MCAP file: .*rosbag2_dir_0\.mcap/,
      );
    });

    it('one corrupt chunk of an indexed bag: the rest is replayed, the report names it, exit 1', async () => {
      const bytes = Buffer.from(readFileSync(ZSTD_BAG));
      const handle = await open(ZSTD_BAG, 'r');
      const indexed = await McapIndexedReader.Initialize({
        readable: new FileHandleReadable(handle),
        decompressHandlers: await loadDecompressHandlers(),
      });
      // The last chunk: the frames before it span more than the 3 s a first plan needs.
      const first = [...indexed.chunkIndexes].sort((a, b) =>
        Number(b.chunkStartOffset - a.chunkStartOffset),
      )[0]!;
      await handle.close();
      // Break the first chunk's zstd frame header (see test/bag/damage.test.ts for the layout).
      const records = Number(first.chunkStartOffset) + 1 + 8 + 8 + 8 + 8 + 4 + 4 + 4 + 8;
      for (let i = records; i < records + 16; i++) bytes[i] = bytes[i]! ^ 0x5a;
      const broken = at('corrupt-last-chunk.mcap');
      writeFileSync(broken, bytes);
      const report = at('corrupt.json');
      const run = await runCli(
        replayArgs(at('corrupt-out.mcap'), '--allow-untrained', '--report', report).map((a) =>
          a === bag ? broken : a,
        ),
      );
      assert.equal(run.status, 1, run.stderr);
      const written = JSON.parse(readFileSync(report, 'utf8')) as ReplayReport;
      assert.match(written.input_damage!, /1 corrupt chunk\(s\) skipped, the rest was replayed/);
      assert.ok(written.camera_frames > 0, `${written.camera_frames} frames from the intact chunk`);
      assert.ok((written.planner.plans ?? 0) > 0);
    });

    it('config check checks every file, names each bad one and exits 2', async () => {
      const good = at('good.yaml');
      const nan = at('nan.yaml');
      const binary = at('binary.yaml');
      writeFileSync(good, 'controller:\n  max_vx_mps: 0.4\n');
      writeFileSync(nan, 'controller:\n  max_vx_mps: .nan\n  max_vy_mps: .inf\n');
      writeFileSync(binary, Buffer.from(Array.from({ length: 22_000 }, (_, i) => (i * 31) % 256)));
      const run = await runCli(['config', 'check', nan, good, binary]);
      assert.equal(run.status, 2);
      assert.match(run.stdout, /good\.yaml: ok/);
      assert.match(run.stderr, /controller\.max_vx_mps: expected number, got NaN \(not a finite number\)/);
      assert.match(
        run.stderr,
        /binary\.yaml: invalid configuration:\n {2}- is not a text file \(it holds NUL bytes; 22000 bytes\)/,
      );
      assert.match(run.stderr, /2 of 3 files are invalid/);
      assert.ok(run.stderr.length < 2000, `${run.stderr.length} characters of errors`);
    });
  });
});
