import { strict as assert } from 'node:assert';
import sharp from 'sharp';
import { trajectoryFromPlanMsg } from '../../src/messages/plan';
import type {
  CompressedImage,
  Path,
  PlanMsg,
  PlannerHeartbeatMsg,
  PlannerStatusMsg,
} from '../../src/messages/ros';
import { nsToStamp, stampToNs } from '../../src/messages/time';
import type { Planner } from '../../src/planner/planner';
import { compressedImage, halves } from '../camera/images';
import {
  cameraFrame,
  CHUNK_FRAMES,
  closeSharedPlanner,
  FIRST_PLAN_FRAME,
  FRAMES_TO_FIRST_PLAN,
  loadTinyPlanner,
  MS,
  odometry,
  S,
  sharedPlanner,
  startRig,
  T0,
  until,
  type Rig,
} from './planner-fixtures';

const PLAN = '/svnav/plan';
const PATH = '/svnav/path';
const STATUS = '/svnav/status';
const HEARTBEAT = '/svnav/heartbeat';
const FUTURE = '/svnav/imagined_future';
const stampOf = (i: number) => T0 + BigInt(i) * 250n * MS;
const plans = (rig: Rig) => rig.on<PlanMsg>(PLAN);
const statuses = (rig: Rig) => rig.on<PlannerStatusMsg>(STATUS);
const heartbeats = (rig: Rig) => rig.on<PlannerHeartbeatMsg>(HEARTBEAT);
const close = (a: number, b: number, what: string, tol = 1e-6) =>
  assert.ok(Math.abs(a - b) <= tol, `${what}: expected ${b}, got ${a}`);

describe('PlannerNode (real tiny model, in-memory transport, virtual time)', function () {
  this.timeout(60_000);
  let planner: Planner;
  const rigs: Rig[] = [];
  const rig = (overrides: Parameters<typeof startRig>[1] = {}) => {
    const r = startRig(planner, overrides);
    rigs.push(r);
    return r;
  };

  before(async () => {
    planner = await sharedPlanner();
  });
  afterEach(async () => {
    for (const r of rigs.splice(0)) await r.node.stop('test over');
  });

  it('turns camera frames into a Plan, Path and Status stamped with the input frame', async () => {
    const r = rig();
    // Chunks 1 and 2 complete at frames 3 and 7: not enough for the release's 2 reference + 1 history chunk.
    await r.frames(0, FIRST_PLAN_FRAME - 1);
    assert.equal(plans(r).length, 0);
    const waiting = statuses(r).filter((s) => s.message.startsWith('no plan'));
    assert.deepEqual(
      waiting.map((s) => s.message),
      [1, 2].map(
        (k) =>
          `no plan ${k}: no_frames: a plan needs 3 complete chunks (12 frames at 4 FPS), the episode has ${k}`,
      ),
    );
    assert.equal(r.node.episode.state, 'navigating', '"no frames yet" is not a failure');
    await r.frame(FIRST_PLAN_FRAME); // the third chunk: the first plan
    assert.equal(plans(r).length, 1);
    const next = FIRST_PLAN_FRAME + CHUNK_FRAMES; // then one chunk, and one plan, per 4 frames
    await r.frames(FIRST_PLAN_FRAME + 1, next);
    const [first, second] = plans(r);
    assert.ok(first && second && plans(r).length === 2, `${plans(r).length} plans`);
    assert.deepEqual(first.header, { stamp: nsToStamp(stampOf(FIRST_PLAN_FRAME)), frame_id: 'base_link' });
    assert.deepEqual(second.header.stamp, nsToStamp(stampOf(next)));
    assert.equal(second.sequence, first.sequence + 1);
    assert.equal(first.episode_id, r.node.episode.id);
    assert.equal(first.instruction, 'walk to the wooden door');
    assert.equal(first.step_dt_s, 0.25);
    assert.deepEqual([first.dx_m.length, first.dy_m.length, first.dtheta_rad.length], [8, 8, 8]);
    assert.ok(Array.from(first.dx_m).every(Number.isFinite));
    assert.equal(first.has_input_pose, false);
    assert.equal(first.untrained_model, true);
    assert.deepEqual([first.action_source, first.action_confidence], ['learned', -1], 'the seeded head');
    // The controller accepts it as is.
    const trajectory = trajectoryFromPlanMsg(second);
    assert.equal(trajectory.stampNs, stampOf(next));

    const path = r.on<Path>(PATH)[1]!;
    assert.equal(path.header.frame_id, 'base_link');
    assert.equal(path.poses.length, 9);
    assert.deepEqual(
      path.poses.map((p) => stampToNs(p.header.stamp) - stampOf(next)),
      Array.from({ length: 9 }, (_, k) => BigInt(k) * 250n * MS),
    );
    const end = path.poses[8]!.pose.position;
    const wp = trajectory.waypoints[8]!;
    close(end.x, wp.x_m, 'path end x');
    close(end.y, wp.y_m, 'path end y');

    const planStatus = statuses(r).filter((s) => s.plan_sequence === second.sequence);
    assert.equal(planStatus.length, 1);
    const s = planStatus[0]!;
    // 4 chunks: the newest 2 are the reference, 2 are history.
    assert.deepEqual(
      [s.episode_state, s.history_chunks, s.execution_provider, s.untrained_model],
      ['navigating', 2, 'cpu', true],
    );
    assert.deepEqual([s.action_source, s.action_confidence], ['learned', -1]);
    assert.ok(s.dit_ms > 0 && s.action_ms > 0 && s.encode_ms > 0, JSON.stringify(s));
    assert.ok(s.total_ms >= s.dit_ms + s.action_ms);
    assert.match(
      s.message,
      /^plan 4: 8 steps from the frame at 1700000003750000000 ns \(no odometry pose\) \[UNTRAINED MODEL\]$/,
    );
  });

  it('measures latency from frame arrival and takes input_pose and the path frame from the nearest odometry', async () => {
    const r = rig();
    await r.frames(0, FIRST_PLAN_FRAME - 1);
    const input = stampOf(FIRST_PLAN_FRAME);
    const odomTopic = r.config.controller.odom_topic;
    r.inject(odomTopic, 'nav_msgs/msg/Odometry', odometry(input - 400n * MS, 9, 9, 0)); // too far from the frame
    r.inject(odomTopic, 'nav_msgs/msg/Odometry', odometry(input - 30n * MS, 2, 1, Math.PI / 2));
    r.inject(odomTopic, 'nav_msgs/msg/Odometry', odometry(input + 120n * MS, 2.1, 1, Math.PI / 2));
    r.clock.advanceTo(input);
    r.inject(r.config.camera.topic, r.config.camera.type, cameraFrame(input));
    r.clock.advanceBy(300n * MS); // the frame waits in decode/encode/plan while 0.3 s pass
    await r.node.idle();
    const [plan] = plans(r);
    assert.ok(plan);
    close(plan.latency_s, 0.3, 'latency_s');
    assert.equal(plan.has_input_pose, true);
    assert.deepEqual(plan.input_pose.position, { x: 2, y: 1, z: 0.3 });
    const [path] = r.on<Path>(PATH);
    assert.equal(path!.header.frame_id, 'odom');
    assert.deepEqual(path!.poses[0]!.pose.position, { x: 2, y: 1, z: 0.3 });
    // Heading +90°: the plan's first forward step moves the path along +y in the odometry frame.
    const step1 = path!.poses[1]!.pose.position;
    close(step1.x, 2 - plan.dy_m[0]!, 'x after one step', 1e-6);
    close(step1.y, 1 + plan.dx_m[0]!, 'y after one step', 1e-6);
  });

  it('publishes a heartbeat at 10 Hz whose camera age is negative before any frame and grows when frames stop', async () => {
    const r = rig();
    const atStart = heartbeats(r).length;
    r.clock.advanceBy(1n * S);
    const early = heartbeats(r).slice(atStart);
    assert.equal(early.length, 10);
    assert.deepEqual(
      early.map((h) => stampToNs(h.stamp) - T0),
      Array.from({ length: 10 }, (_, k) => BigInt(k + 1) * 100n * MS),
    );
    assert.ok(early.every((h) => h.camera_age_s === -1 && h.episode_state === 'navigating' && !h.planning));
    assert.ok(early.every((h, k) => k === 0 || h.sequence === early[k - 1]!.sequence + 1));
    await r.frame(4); // stamp T0 + 1 s, arrives at clock T0 + 1 s
    const before = heartbeats(r).length;
    r.clock.advanceBy(2n * S);
    const ages = heartbeats(r)
      .slice(before)
      .map((h) => Number(h.camera_age_s.toFixed(3)));
    assert.deepEqual(
      ages,
      Array.from({ length: 20 }, (_, k) => Number(((k + 1) / 10).toFixed(3))),
    );
    assert.equal(heartbeats(r).at(-1)!.episode_id, r.node.episode.id);
  });

  it('starts a new episode on a new instruction: history reset, new id, and the next plan uses it', async () => {
    const r = rig();
    const last = FIRST_PLAN_FRAME + CHUNK_FRAMES;
    await r.frames(0, last);
    const firstEpisode = r.node.episode.id;
    assert.equal(plans(r).length, 2);
    r.clock.advanceBy(1n * MS);
    r.inject('/svnav/instruction', 'std_msgs/msg/String', { data: 'turn left at the sofa' });
    const second = r.node.episode;
    assert.notEqual(second.id, firstEpisode);
    assert.deepEqual([second.state, second.instruction], ['navigating', 'turn left at the sofa']);
    assert.equal(heartbeats(r).at(-1)!.episode_id, second.id, 'heartbeat sent at once');
    // Chunks are aligned to the new episode's first frame: 4 or 8 more frames would complete a chunk of the old
    // history, but the new episode needs 12 frames of its own.
    await r.frames(last + 1, last + FRAMES_TO_FIRST_PLAN - 1);
    assert.equal(plans(r).length, 2, 'no plan before the new episode has 3 chunks of its own');
    await r.frame(last + FRAMES_TO_FIRST_PLAN);
    const plan = plans(r).at(-1)!;
    assert.equal(plans(r).length, 3);
    assert.deepEqual([plan.instruction, plan.episode_id], ['turn left at the sofa', second.id]);
    assert.deepEqual(
      plan.header.stamp,
      nsToStamp(stampOf(last + FRAMES_TO_FIRST_PLAN)),
      'the first frame of the episode starts its first chunk',
    );
    assert.equal(
      plan.sequence,
      3,
      'plan numbering restarts with the episode (2 "no frames yet" cycles first)',
    );
    assert.equal(statuses(r).at(-1)!.history_chunks, 1, 'history was reset');
    // Re-sending the same instruction does not restart the episode.
    r.inject('/svnav/instruction', 'std_msgs/msg/String', { data: 'turn left at the sofa' });
    assert.equal(r.node.episode.id, second.id);
  });

  it('cleans an instruction from the topic and ignores one out of bounds, saying why', async () => {
    const r = rig();
    for (let i = 0; i <= 1; i++) await r.frame(i);
    const first = r.node.episode.id;
    r.inject('/svnav/instruction', 'std_msgs/msg/String', { data: '\u001b[31m  ' });
    r.inject('/svnav/instruction', 'std_msgs/msg/String', { data: 'go '.repeat(500) });
    assert.equal(r.node.episode.id, first, 'the episode goes on');
    const messages = statuses(r).map((s) => s.message);
    assert.ok(
      messages.some((m) => /instruction on \/svnav\/instruction ignored: .*only control or escape/.test(m)),
      messages.join('\n'),
    );
    assert.ok(messages.some((m) => /ignored: the instruction is 1499 characters long; at most 1000/.test(m)));
    r.inject('/svnav/instruction', 'std_msgs/msg/String', {
      data: 'turn \u001b[1mleft\u001b[0m\n at the sofa',
    });
    assert.deepEqual(
      [r.node.episode.state, r.node.episode.instruction],
      ['navigating', 'turn left at the sofa'],
    );
  });

  it('cancels the in-flight plan on the "cancel" command: nothing is published from it', async () => {
    const r = rig();
    await r.frames(0, FIRST_PLAN_FRAME - 1);
    r.clock.advanceTo(stampOf(FIRST_PLAN_FRAME));
    r.inject(r.config.camera.topic, r.config.camera.type, cameraFrame(stampOf(FIRST_PLAN_FRAME)));
    await until(() => r.node.planning, 'a plan in flight');
    r.inject('/svnav/command', 'std_msgs/msg/String', { data: 'cancel' });
    assert.equal(r.node.episode.state, 'cancelled');
    const hb = heartbeats(r).at(-1)!;
    assert.deepEqual([hb.episode_state, hb.planning], ['cancelled', false]);
    await r.node.idle();
    assert.equal(plans(r).length, 0);
    assert.match(statuses(r).at(-1)!.message, /episode ep1-\d+ cancelled .*: command "cancel"/);
    const after = FIRST_PLAN_FRAME + 1;
    await r.frames(after, after + CHUNK_FRAMES - 1); // would complete a fourth chunk
    assert.equal(plans(r).length, 0, 'no planning after the episode ended');
    assert.equal(r.node.stats.framesSampled, FRAMES_TO_FIRST_PLAN, 'nor sampling');
    // "start" begins a new episode with the same instruction, from 12 frames of its own.
    r.inject('/svnav/command', 'std_msgs/msg/String', { data: 'start' });
    const start = after + CHUNK_FRAMES;
    await r.frames(start, start + FRAMES_TO_FIRST_PLAN - 1);
    assert.equal(plans(r).length, 1);
    assert.equal(plans(r)[0]!.episode_id, r.node.episode.id);
    r.inject('/svnav/command', 'std_msgs/msg/String', { data: 'dance' });
    assert.match(
      statuses(r).at(-1)!.message,
      /unknown command "dance" on \/svnav\/command; expected start, stop, cancel/,
    );
  });

  it('ends the episode when the controller reports arrival of this episode, not of an older one', async () => {
    const r = rig();
    await r.frames(0, FIRST_PLAN_FRAME);
    assert.equal(plans(r).length, 1);
    const status = (episode_id: string) => ({
      data: JSON.stringify({
        state: 'stopped',
        stop_reason: { kind: 'arrived', episode_id, consecutive_plans: 3 },
        stop_message: 'arrived',
      }),
    });
    r.inject('/svnav/controller_status', 'std_msgs/msg/String', status('ep0-123'));
    assert.equal(r.node.episode.state, 'navigating');
    r.inject('/svnav/controller_status', 'std_msgs/msg/String', status(r.node.episode.id));
    assert.equal(r.node.episode.state, 'arrived');
    await r.frames(FIRST_PLAN_FRAME + 1, FIRST_PLAN_FRAME + CHUNK_FRAMES); // a fourth chunk
    assert.equal(plans(r).length, 1, 'no plans after arrival');
  });

  it('reports the episode stuck when the plans command motion but odometry shows no progress', async () => {
    const r = rig({
      planner: { stuck_timeout_s: 2, stuck_min_progress_m: 0.3 },
      safety: { arrival_displacement_m: 0.001, arrival_rotation_rad: 0.001 },
    });
    // Plans start at frame 11 (2.75 s) and come once a second: the plans of 2.75 s and 3.75 s command motion
    // over 2.75…5.75 s, so the odometry at 4.75 s has seen 2 s of it.
    let i = 0;
    for (; i <= FIRST_PLAN_FRAME + 4 * CHUNK_FRAMES && r.node.episode.state === 'navigating'; i++) {
      r.inject('/odom', 'nav_msgs/msg/Odometry', odometry(stampOf(i), 0, 0, 0)); // held in place
      await r.frame(i);
    }
    const episode = r.node.episode;
    assert.equal(episode.state, 'stuck');
    assert.match(
      episode.reason!,
      /^stuck, not moving although commanded to: net progress 0\.00 m in 2\.0 s .*odometry/,
    );
    assert.equal(heartbeats(r).at(-1)!.episode_state, 'stuck');
    assert.ok(r.logs.some((l) => l.level === 'warn' && /stuck/.test(l.line)));
    const count = plans(r).length;
    assert.ok(count >= 2, `${count} plans`);
    await r.frames(i, i + CHUNK_FRAMES); // at least one more chunk
    assert.equal(plans(r).length, count, 'planning stopped');
  });

  it('drops a malformed frame with a diagnostic naming topic, stamp and encoding, and keeps running', async () => {
    const r = rig();
    await r.frame(0, { ...cameraFrame(stampOf(0)), step: 100 }); // rows of 160×3 bytes need step ≥ 480
    await r.frame(1, { ...cameraFrame(stampOf(1)), encoding: 'yuv422' });
    assert.equal(plans(r).length, 0);
    const messages = statuses(r).map((s) => s.message);
    assert.ok(
      messages.some(
        (m) =>
          m.includes(
            'camera frame on /camera/image_raw at 1700000000.000000000 s (encoding "bgr8", 160×90, step 100',
          ) && m.includes('step 100 is shorter than a row of 480 bytes'),
      ),
      messages.join('\n'),
    );
    // The stamp is printed through a float (camera/frame.ts), so only its first digits are exact at 1.7e9 s.
    assert.ok(
      messages.some((m) => /at 1700000000\.2\d* s \(encoding "yuv422".*unsupported encoding/.test(m)),
      messages.join('\n'),
    );
    assert.equal(heartbeats(r).at(-1)!.camera_age_s, -1, 'bad frames do not count as a live camera');
    assert.equal(r.node.stats.badFrames, 2);
    // Bad frames are not sampled: the episode's chunks start at the first good frame and plan 12 frames later.
    await r.frames(2, 2 + FIRST_PLAN_FRAME);
    assert.equal(r.node.stats.framesSampled, FRAMES_TO_FIRST_PLAN);
    assert.equal(plans(r).length, 1, 'the next 12 good frames plan');
  });

  it('reports a corrupt JPEG on a CompressedImage camera and plans from the next good one', async () => {
    const r = rig({
      camera: { topic: '/camera/image_raw/compressed', type: 'sensor_msgs/msg/CompressedImage' },
    });
    const good = await compressedImage(
      halves(160, 90, [200, 0, 0], [0, 0, 200]),
      160,
      90,
      'jpeg',
      stampOf(0),
    );
    const corrupt = { ...good, data: Buffer.concat([good.data.subarray(0, 40), Buffer.alloc(200, 7)]) };
    await r.frame(0, corrupt);
    assert.equal(plans(r).length, 0);
    const diag = statuses(r).at(-1)!.message;
    assert.match(
      diag,
      /^camera frame on \/camera\/image_raw\/compressed at 1700000000\.000000000 s \(encoding "jpeg"/,
    );
    // The corrupt frame was sampled but never reached the encoder: 12 good frames after it make the first plan.
    for (let i = 1; i <= FRAMES_TO_FIRST_PLAN; i++) {
      await r.frame(i, { ...good, header: { ...good.header, stamp: nsToStamp(stampOf(i)) } });
    }
    assert.deepEqual([r.node.stats.badFrames, r.node.stats.framesEncoded], [1, FRAMES_TO_FIRST_PLAN]);
    assert.equal(plans(r).length, 1);
    assert.deepEqual(plans(r)[0]!.header.stamp, nsToStamp(stampOf(FRAMES_TO_FIRST_PLAN)));
  });

  it('stops feeding the model when the camera contract fails (2 Hz < 4 FPS), saying why', async () => {
    const r = rig();
    for (let i = 0; i < 12; i += 2) await r.frame(i); // one frame every 0.5 s
    const contract = statuses(r).find((s) =>
      s.message.startsWith('camera /camera/image_raw (sensor_msgs/msg/Image)'),
    );
    assert.ok(
      contract,
      statuses(r)
        .map((s) => s.message)
        .join('\n'),
    );
    assert.match(
      contract.message,
      /bgr8 160×90 at 2\.0 Hz .*PROBLEM: camera rate 2\.0 Hz is below the 4 FPS the model needs/,
    );
    assert.ok(r.logs.some((l) => l.level === 'error' && l.line.includes('PROBLEM: camera rate')));
    const sampled = r.node.stats.framesSampled;
    for (let i = 12; i < 16; i += 2) await r.frame(i);
    assert.equal(r.node.stats.framesSampled, sampled, 'no frames sampled while the contract fails');
    r.clock.advanceBy(100n * MS);
    close(heartbeats(r).at(-1)!.camera_age_s, 0.1, 'camera age (the camera itself is live)');
  });

  it('decodes newest frames only: frames arriving while the encoder is busy replace the waiting one', async () => {
    const r = rig();
    await r.frames(0, 9); // chunks 1 and 2 = frames 0…7; frames 8, 9 wait for the third chunk
    for (let i = 10; i <= 14; i++) {
      r.clock.advanceTo(stampOf(i));
      r.inject(r.config.camera.topic, r.config.camera.type, cameraFrame(stampOf(i)));
    }
    await r.node.idle();
    // Frame 10 was being decoded when 11, 12, 13, 14 arrived; each replaced the one waiting, so 14 completed the
    // third chunk (8, 9, 10, 14) and with it the first plan.
    const s = r.node.stats;
    assert.deepEqual(
      [s.framesReceived, s.framesSampled, s.framesReplaced, s.framesEncoded, s.chunks],
      [15, 15, 3, 12, 3],
    );
    assert.equal(plans(r).length, 1);
    assert.deepEqual(plans(r)[0]!.header.stamp, nsToStamp(stampOf(14)));
  });

  it('publishes the imagined future as one 2×4 tiled JPEG stamped with the input frame', async () => {
    const r = rig();
    await r.frames(0, FIRST_PLAN_FRAME);
    const [future] = r.on<CompressedImage>(FUTURE);
    assert.ok(
      future,
      `no preview; statuses: ${statuses(r)
        .map((s) => s.message)
        .join(' | ')}`,
    );
    assert.deepEqual(future.header, {
      stamp: nsToStamp(stampOf(FIRST_PLAN_FRAME)),
      frame_id: 'front_camera',
    });
    assert.equal(future.format, 'jpeg');
    const meta = await sharp(future.data).metadata();
    // The release's square 32×32 frames scaled ×8 to 256×256 tiles, a 36 px label band under each (glyphs at
    // scale 4), 4 px gaps.
    assert.deepEqual([meta.format, meta.width, meta.height], ['jpeg', 4 * 256 + 3 * 4, 2 * (256 + 36) + 4]);
  });

  it('stop() tears down subscriptions and the heartbeat timer, cancels the in-flight plan and says so', async () => {
    const r = rig();
    await r.frames(0, FIRST_PLAN_FRAME - 1);
    r.clock.advanceTo(stampOf(FIRST_PLAN_FRAME));
    r.inject(r.config.camera.topic, r.config.camera.type, cameraFrame(stampOf(FIRST_PLAN_FRAME)));
    await until(() => r.node.planning, 'a plan in flight');
    await r.node.stop('test');
    assert.equal(plans(r).length, 0);
    const last = heartbeats(r).at(-1)!;
    assert.deepEqual([last.episode_state, last.planning], ['cancelled', false]);
    assert.match(statuses(r).at(-1)!.message, /^planner stopped: test$/);
    const published = r.transport.published.length;
    r.clock.advanceBy(2n * S);
    r.inject(r.config.camera.topic, r.config.camera.type, cameraFrame(stampOf(FIRST_PLAN_FRAME + 8)));
    r.inject('/svnav/instruction', 'std_msgs/msg/String', { data: 'go' });
    await r.node.idle();
    assert.equal(r.transport.published.length, published + 2, 'only the two injected messages');
  });
});

describe('PlannerNode with an untrained model in robot mode', function () {
  this.timeout(60_000);
  let planner: Planner;
  before(async () => {
    planner = await sharedPlanner();
  });

  it('refuses to plan: logs an error naming the seeded networks, says so in status and heartbeat, never plans', async () => {
    const r = startRig(planner, { model: { allow_untrained: false } });
    assert.match(
      r.node.refusal!,
      /REFUSING TO PLAN: model models\/tiny is untrained \(seeded weights in vae_encoder, history_compressor, text_encoder, dit_step, action_context, action_step, vae_decoder\)/,
    );
    const error = r.logs.find((l) => l.level === 'error');
    assert.ok(
      error && error.line.includes('vae_encoder') && error.line.includes('action_step'),
      JSON.stringify(r.logs),
    );
    assert.equal(statuses(r).at(-1)!.message, r.node.refusal);
    for (let i = 0; i <= 4; i++) await r.frame(i);
    r.inject('/svnav/command', 'std_msgs/msg/String', { data: 'start' });
    r.clock.advanceBy(1n * S);
    assert.equal(plans(r).length, 0);
    assert.equal(r.node.stats.framesReceived, 0, 'the camera is not even subscribed');
    assert.ok(heartbeats(r).length >= 10 && heartbeats(r).every((h) => h.episode_state === 'failed'));
    await r.node.stop();
  });

  it('with model.allow_untrained warns loudly at start and flags every plan', async () => {
    const r = startRig(planner);
    assert.ok(
      r.logs.some(
        (l) => l.level === 'warn' && /UNTRAINED .*every plan is flagged untrained_model/.test(l.line),
      ),
    );
    await r.frames(0, FIRST_PLAN_FRAME + CHUNK_FRAMES);
    assert.equal(plans(r).length, 2);
    assert.ok(plans(r).every((p) => p.untrained_model));
    await r.node.stop();
  });
});

describe('PlannerNode when inference fails', function () {
  this.timeout(60_000);

  it('fails the episode after max_failed_plans consecutive inference errors, then stops planning', async () => {
    const broken = await loadTinyPlanner();
    await broken.close(); // the inference worker is gone: every network call fails
    const r = startRig(broken, { planner: { max_failed_plans: 3 } });
    for (let i = 0; i < 3; i++) await r.frame(i);
    assert.equal(r.node.episode.state, 'failed');
    assert.match(
      r.node.episode.reason!,
      /^3 plan cycles failed in a row; last: .*inference worker is not running/,
    );
    assert.equal(heartbeats(r).at(-1)!.episode_state, 'failed');
    assert.equal(plans(r).length, 0);
    await r.node.stop();
  });
});

after(closeSharedPlanner);
