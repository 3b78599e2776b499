import { strict as assert } from 'node:assert';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import * as path from 'node:path';
import { McapIndexedReader } from '@mcap/core';
import { FileHandleReadable } from '@mcap/nodejs';
import { loadDecompressHandlers } from '@mcap/support';
import { openBag, type BagMessage } from '../../src/bag/reader';
import { parseConfig, type SvnavConfig } from '../../src/config';
import type { PlanMsg, Twist } from '../../src/messages/ros';
import { stampToNs } from '../../src/messages/time';
import type { Planner } from '../../src/planner/planner';
import { ReplayInputError } from '../../src/replay/camera-topic';
import { runReplay, type ReplayOptions } from '../../src/replay/replay';
import type { ReplayReport } from '../../src/replay/report';
import { tempDir } from '../bag/helpers';
import { loadTinyPlanner, tinyModelDir } from '../support/tiny-model';
import { MS, RAW_BAG, ZSTD_BAG, writeSmallBag } from './bags';

const INSTRUCTION = 'walk forward to the blue door';

async function readAll(file: string): Promise<BagMessage[]> {
  const reader = await openBag(file);
  try {
    const out: BagMessage[] = [];
    for await (const m of reader.messages()) out.push(m);
    return out;
  } finally {
    await reader.close();
  }
}

/** Channels and schemas as @mcap/core's indexed reader sees them (needs a valid summary). */
async function mcapChannels(file: string): Promise<Map<string, string>> {
  const handle = await open(file, 'r');
  try {
    const reader = await McapIndexedReader.Initialize({
      readable: new FileHandleReadable(handle),
      decompressHandlers: await loadDecompressHandlers(),
    });
    return new Map(
      [...reader.channelsById.values()].map((c) => [c.topic, reader.schemasById.get(c.schemaId)?.name ?? '']),
    );
  } finally {
    await handle.close();
  }
}

describe('svnav replay (real tiny model on CPU, fixture bags)', function () {
  this.timeout(60_000);
  let planner: Planner;
  let config: SvnavConfig;
  let tmp: ReturnType<typeof tempDir>;
  let zstd: { report: ReplayReport; messages: BagMessage[] };

  const replay = (input: string, output: string, extra: Partial<ReplayOptions> = {}) =>
    runReplay({
      input,
      output: path.join(tmp.dir, output),
      instruction: INSTRUCTION,
      config,
      planner,
      ...extra,
    });

  before(async () => {
    tmp = tempDir('replay');
    const modelDir = await tinyModelDir();
    config = parseConfig({ model: { dir: modelDir, execution_providers: ['cpu'], allow_untrained: true } });
    planner = await loadTinyPlanner();
    const report = await replay(ZSTD_BAG, 'zstd.mcap');
    zstd = { report, messages: await readAll(report.output) };
  });
  after(async () => {
    await planner?.close();
    tmp?.cleanup();
  });

  it('records the input topics and every node output with their ROS schemas, readable by @mcap/core', async () => {
    const channels = await mcapChannels(zstd.report.output);
    const expected: Record<string, string> = {
      '/camera/image_raw/compressed': 'sensor_msgs/msg/CompressedImage',
      '/camera/camera_info': 'sensor_msgs/msg/CameraInfo',
      '/odom': 'nav_msgs/msg/Odometry',
      '/tf': 'tf2_msgs/msg/TFMessage',
      // The bag's own commands would mix with the controller's: they move aside.
      '/recorded/cmd_vel': 'geometry_msgs/msg/Twist',
      '/cmd_vel': 'geometry_msgs/msg/Twist',
      '/svnav/plan': 'sparse_video_nav/msg/Plan',
      '/svnav/path': 'nav_msgs/msg/Path',
      '/svnav/imagined_future': 'sensor_msgs/msg/CompressedImage',
      '/svnav/status': 'sparse_video_nav/msg/PlannerStatus',
      '/svnav/heartbeat': 'sparse_video_nav/msg/PlannerHeartbeat',
      '/svnav/controller_status': 'std_msgs/msg/String',
      '/api/sport/request': 'unitree_api/msg/Request',
      '/svnav/viz/path_poses': 'foxglove_msgs/msg/PosesInFrame',
      '/svnav/viz/path_scene': 'foxglove_msgs/msg/SceneUpdate',
      '/svnav/viz/path_annotations': 'foxglove_msgs/msg/ImageAnnotations',
      '/svnav/viz/transforms': 'foxglove_msgs/msg/FrameTransforms',
    };
    for (const [topic, schema] of Object.entries(expected)) assert.equal(channels.get(topic), schema, topic);
    const count = (topic: string) => zstd.messages.filter((m) => m.topic === topic).length;
    assert.equal(count('/camera/image_raw/compressed'), 83);
    assert.equal(count('/recorded/cmd_vel'), 166);
    assert.ok(count('/svnav/plan') >= 3 && count('/svnav/path') === count('/svnav/plan'));
    assert.ok(count('/svnav/imagined_future') >= 1);
    const future = zstd.messages.find((m) => m.topic === '/svnav/imagined_future')!.message as {
      format: string;
    };
    assert.equal(future.format, 'jpeg');
  });

  it('records each node topic with the QoS its publisher offers, so `ros2 bag play` latches what the robot latches', async () => {
    const reader = await openBag(zstd.report.output);
    const qos = new Map(reader.topics().map((t) => [t.name, t.offeredQosProfiles]));
    await reader.close();
    const durability = (topic: string) => /durability: (\w+)/.exec(qos.get(topic) ?? '')?.[1];
    const reliability = (topic: string) => /reliability: (\w+)/.exec(qos.get(topic) ?? '')?.[1];
    for (const topic of ['/svnav/plan', '/svnav/path', '/svnav/imagined_future', '/svnav/status']) {
      assert.equal(durability(topic), 'transient_local', topic);
      assert.equal(reliability(topic), 'reliable', topic);
    }
    for (const topic of ['/svnav/viz/path_poses', '/svnav/viz/path_scene', '/svnav/viz/transforms']) {
      assert.equal(durability(topic), 'transient_local', topic);
    }
    // Never latched: a late reader must not take an old heartbeat for a live planner, or an old Twist for a command.
    for (const topic of ['/svnav/heartbeat', '/cmd_vel']) assert.equal(durability(topic), 'volatile', topic);
    // Input topics keep what the recording offered.
    assert.equal(reliability('/camera/image_raw/compressed'), 'best_effort');
  });

  it('publishes Twists at 20 Hz of bag time over the whole bag, ending with a zero Twist', () => {
    const twists = zstd.messages.filter((m) => m.topic === '/cmd_vel');
    const span_s = Number(twists[twists.length - 1]!.logTimeNs - twists[0]!.logTimeNs) / 1e9;
    assert.ok(span_s > 8, `Twists span ${span_s} s`);
    assert.ok(Math.abs(twists.length / span_s - 20) < 0.5, `${twists.length} Twists in ${span_s} s`);
    const gaps = twists.slice(1).map((m, i) => m.logTimeNs - twists[i]!.logTimeNs);
    assert.ok(gaps.filter((g) => g === 50n * MS).length > 0.95 * gaps.length);
    const last = twists[twists.length - 1]!.message as Twist;
    assert.deepEqual([last.linear.x, last.linear.y, last.angular.z], [0, 0, 0]);
  });

  it('delivers each plan the modelled latency after its input frame and says so in latency_s and the report', () => {
    assert.deepEqual(zstd.report.latency_model, { kind: 'fixed', latency_ms: 350, source: 'configured' });
    const plans = zstd.messages.filter((m) => m.topic === '/svnav/plan');
    for (const p of plans) {
      const msg = p.message as PlanMsg;
      const delay_s = Number(p.logTimeNs - stampToNs(msg.header.stamp)) / 1e9;
      assert.ok(
        delay_s >= 0.35 && delay_s < 0.35 + 0.3,
        `plan ${msg.sequence} delivered ${delay_s} s after its frame`,
      );
      // latency_s counts from the frame's arrival (its log time, ≈1 ms after its stamp in this recording).
      assert.ok(Math.abs(msg.latency_s - delay_s) < 0.01, `latency_s ${msg.latency_s} vs ${delay_s}`);
      assert.equal(msg.untrained_model, true);
      assert.equal(msg.instruction, INSTRUCTION);
    }
  });

  it('reports per-plan ADE/FDE against the recorded odometry, latency, jerk and throughput', () => {
    const r = zstd.report;
    assert.equal(r.camera.topic, '/camera/image_raw/compressed');
    assert.equal(r.camera.how, 'detected');
    assert.equal(r.camera_frames, 83);
    assert.equal(r.aborted, false);
    assert.equal(r.input_damage, null);
    assert.equal(r.model.untrained, true);
    const e = r.eval;
    assert.equal(e.plans.length, r.planner.plans);
    assert.ok(e.plans.length >= 3);
    for (const p of e.plans) {
      assert.ok(Number.isFinite(p.ade_m) && p.ade_m >= 0 && p.fde_m >= 0);
      // The fixture robot drives 0.4 m/s: 0.8 m in a 2 s plan window.
      assert.ok(Math.abs(p.actual_distance_m - 0.8) < 0.05, `actual ${p.actual_distance_m} m`);
    }
    // latency_s is a float32 field of the Plan message: the modelled 0.35 s reads back as 0.3499999940….
    assert.ok(e.summary.plan_latency_s!.p50 >= Math.fround(0.35), `p50 ${e.summary.plan_latency_s!.p50} s`);
    assert.ok(e.summary.command_jerk_rms.samples > 100);
    assert.ok(r.frames_per_wall_s > 0 && r.wall_s > 0);
  });

  it('replays the raw bgr8 fixture, detecting its sensor_msgs/Image camera', async () => {
    const r = await replay(RAW_BAG, 'raw.mcap');
    assert.deepEqual(r.camera, {
      topic: '/camera/image_raw',
      type: 'sensor_msgs/msg/Image',
      how: 'detected',
    });
    assert.equal(r.camera_frames, 43);
    // 4.3 s of camera: 4 chunks, so plans from the frames at 2.8 s and 3.8 s (the first needs 3 chunks, the
    // release's 2 reference chunks + 1 history chunk).
    assert.equal(r.planner.plans, 2);
    assert.equal(r.eval.plans.length + r.eval.skipped.length, r.planner.plans);
  });

  it('is deterministic: two replays give identical plans and Twists at identical times', async () => {
    const outputs = [];
    for (const name of ['det-a.mcap', 'det-b.mcap']) {
      const r = await replay(RAW_BAG, name, { latencyMs: 200 });
      const picked = (await readAll(r.output)).filter((m) => ['/svnav/plan', '/cmd_vel'].includes(m.topic));
      outputs.push(
        picked.map((m) => ({ topic: m.topic, t: m.logTimeNs, data: Buffer.from(m.data).toString('hex') })),
      );
    }
    assert.ok(outputs[0]!.some((m) => m.topic === '/svnav/plan'));
    assert.deepEqual(outputs[1], outputs[0]);
  });

  it('a truncated bag: replays what is readable, names the damage, and still closes a readable output', async () => {
    const cut = path.join(tmp.dir, 'truncated.mcap');
    const bytes = readFileSync(ZSTD_BAG);
    writeFileSync(cut, bytes.subarray(0, Math.floor(bytes.length * 0.7)));
    const r = await replay(cut, 'from-truncated.mcap');
    assert.match(r.input_damage ?? '', /truncated\.mcap at byte \d+/);
    assert.ok(r.camera_frames > 0 && r.camera_frames < 83, `${r.camera_frames} frames`);
    const channels = await mcapChannels(r.output);
    assert.equal(channels.get('/cmd_vel'), 'geometry_msgs/msg/Twist');
    assert.ok(r.planner.plans! >= 1 && r.eval.plans.length + r.eval.skipped.length === r.planner.plans);
  });

  it('a bag without the camera topic: an error naming the expected topic and the image topics; no output', async () => {
    const bag = path.join(tmp.dir, 'wrong-camera.mcap');
    await writeSmallBag(bag, { duration_s: 1, cameraTopic: '/front/image/compressed' });
    const fromFile = parseConfig({
      ...config,
      camera: { topic: '/camera/image_raw', type: 'sensor_msgs/msg/Image' },
    });
    const out = path.join(tmp.dir, 'never.mcap');
    await assert.rejects(
      runReplay({
        input: bag,
        output: out,
        instruction: INSTRUCTION,
        config: fromFile,
        configFromFile: true,
        planner,
      }),
      (err: Error) =>
        err instanceof ReplayInputError &&
        err.message.includes('/camera/image_raw (sensor_msgs/msg/Image)') &&
        err.message.includes('/front/image/compressed (sensor_msgs/msg/CompressedImage, 10 messages)'),
    );
    assert.equal(existsSync(out), false);
    const odomOnly = path.join(tmp.dir, 'odom-only.mcap');
    await writeSmallBag(odomOnly, { duration_s: 0.5, cameraTopic: null });
    await assert.rejects(
      replay(odomOnly, 'never2.mcap'),
      /no camera topic \/camera\/image_raw or \/camera\/image_raw\/compressed; the bag has no image topics/,
    );
    assert.equal(existsSync(path.join(tmp.dir, 'never2.mcap')), false);
  });

  it('an aborted replay stops at once and leaves a valid output with a summary', async () => {
    const abort = new AbortController();
    // The 29th frame (2.8 s) completes the third chunk and starts the first plan; abort one frame later, well
    // before the bag's end (8.2 s).
    const r = await replay(ZSTD_BAG, 'aborted.mcap', {
      signal: abort.signal,
      onProgress: (p) => p.frames >= 30 && abort.abort(),
    });
    assert.equal(r.aborted, true);
    assert.equal(r.camera_frames, 30);
    assert.ok(r.replayed_s < 4, `replayed ${r.replayed_s} s`);
    assert.equal(r.planner.plans, 1, 'the plan in flight finished and was recorded');
    const channels = await mcapChannels(r.output);
    assert.equal(channels.get('/svnav/plan'), 'sparse_video_nav/msg/Plan');
    const twists = (await readAll(r.output)).filter((m) => m.topic === '/cmd_vel');
    const last = twists[twists.length - 1]!.message as Twist;
    assert.equal(last.linear.x, 0, 'the controller stops with a zero Twist');
  });

  it('rejects an untrained model unless allowed, before writing anything', async () => {
    const strict = parseConfig({ ...config, model: { ...config.model, allow_untrained: false } });
    const out = path.join(tmp.dir, 'refused.mcap');
    await assert.rejects(
      runReplay({ input: RAW_BAG, output: out, instruction: INSTRUCTION, config: strict, planner }),
      /untrained.*--allow-untrained/,
    );
    assert.equal(existsSync(out), false);
  });
});
