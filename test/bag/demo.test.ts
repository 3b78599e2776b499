import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import sharp from 'sharp';
import { DEMO_TOPICS, generateDemoBag, type DemoBagResult } from '../../src/bag/demo-bag';
import { commandAt, DEMO_MOTION_END_S, follow, simulateMotion, stateAt } from '../../src/bag/demo/motion';
import { RayCastRenderer } from '../../src/bag/demo/render';
import { buildWorld, cellAt, CellKind } from '../../src/bag/demo/world';
import { openBag, type BagMessage, type BagReader } from '../../src/bag/reader';
import { formatBagInfo } from '../../src/cli/commands/bag';
import type { CompressedImage, Odometry } from '../../src/messages/ros';
import { collect, tempDir } from './helpers';

const abs = (v: bigint): bigint => (v < 0n ? -v : v);
const wrap = (a: number): number => Math.atan2(Math.sin(a), Math.cos(a));

describe('demo motion and floor plan', () => {
  const motion = simulateMotion(DEMO_MOTION_END_S);

  it('goes forward, turns left, forward, turns right, approaches and stops', () => {
    assert.ok(Math.abs(stateAt(motion, 9).yaw_rad) < 0.01, 'straight first leg');
    assert.ok(stateAt(motion, 9).x_m > 3.5);
    assert.ok(
      Math.abs(wrap(stateAt(motion, 18).yaw_rad - Math.PI / 2)) < 0.05,
      'about +90° after the left turn',
    );
    assert.ok(Math.abs(wrap(stateAt(motion, 30).yaw_rad)) < 0.05, 'back to 0° after the right turn');
    const end = motion[motion.length - 1]!;
    assert.ok(Math.abs(end.v_mps) < 1e-3 && Math.abs(end.w_radps) < 1e-3, 'stopped');
  });

  it('stands exactly still once stopped: velocities reach 0, and no state holds a subnormal number', () => {
    const states = simulateMotion(40);
    const after = states.filter((s) => s.t_s >= DEMO_MOTION_END_S);
    assert.ok(after.length > 100);
    for (const s of after) assert.deepEqual([s.v_mps, s.w_radps], [0, 0], `t = ${s.t_s}`);
    const subnormal = (v: number) => v !== 0 && Math.abs(v) < 2.2250738585072014e-308;
    const tiny = states.flatMap((s) =>
      Object.entries(s)
        .filter(([, v]) => subnormal(v))
        .map(([k]) => `${k}@${s.t_s}`),
    );
    assert.deepEqual(tiny, []);
    // Moving, the velocity follows the command exactly once within 1 mm/s of it (steady 0.5 m/s legs).
    assert.equal(stateAt(states, 8).v_mps, 0.5);
    assert.equal(follow(0.2, 0.5, 0.1, 1e-3), 0.23);
    assert.equal(follow(0.4995, 0.5, 0.1, 1e-3), 0.5);
  });

  it('odometry is the integral of the commanded velocities (within the response lag)', () => {
    let x = 0;
    let y = 0;
    let yaw = 0;
    const dt = 0.001;
    for (let t = 0; t < DEMO_MOTION_END_S; t += dt) {
      const c = commandAt(t);
      x += c.linear_mps * Math.cos(yaw) * dt;
      y += c.linear_mps * Math.sin(yaw) * dt;
      yaw += c.angular_radps * dt;
    }
    const end = motion[motion.length - 1]!;
    assert.ok(
      Math.hypot(end.x_m - x, end.y_m - y) < 0.15,
      `odom end (${end.x_m}, ${end.y_m}) vs commands (${x}, ${y})`,
    );
    assert.ok(Math.abs(wrap(end.yaw_rad - yaw)) < 0.02);
  });

  it('the path runs through free space and ends facing the target table in front of the robot', () => {
    const world = buildWorld(motion);
    for (const s of motion.filter((_s, i) => i % 25 === 0)) {
      assert.equal(cellAt(world, s.x_m, s.y_m), CellKind.Free, `robot inside a wall at t=${s.t_s}`);
    }
    const end = motion[motion.length - 1]!;
    const dx = world.target.x_m - end.x_m;
    const dy = world.target.y_m - end.y_m;
    assert.ok(Math.abs(wrap(Math.atan2(dy, dx) - end.yaw_rad)) < 0.05, 'target straight ahead');
    assert.ok(Math.hypot(dx, dy) > 1 && Math.hypot(dx, dy) < 2);
    assert.equal(cellAt(world, world.target.x_m, world.target.y_m), CellKind.Target);
  });

  it('renders the table larger as the robot approaches it', () => {
    const world = buildWorld(motion);
    const camera = { width: 160, height: 90, fx: 80, fy: 80, cx: 80, cy: 45 };
    const renderer = new RayCastRenderer(world, camera, 3);
    const brownColumns = (t: number): number => {
      const s = stateAt(motion, t);
      const img = renderer.render({ x_m: s.x_m, y_m: s.y_m, yaw_rad: s.yaw_rad, height_m: 0.32 });
      const row = 50; // just below the horizon, where the table stands
      let n = 0;
      for (let c = 0; c < camera.width; c++) {
        const [r, g, b] = [
          img[(row * camera.width + c) * 3]!,
          img[(row * camera.width + c) * 3 + 1]!,
          img[(row * camera.width + c) * 3 + 2]!,
        ];
        if (r > g + 20 && g > b + 15 && r < 200) n++;
      }
      return n;
    };
    const far = brownColumns(29);
    const near = brownColumns(DEMO_MOTION_END_S);
    assert.ok(far > 0, 'table visible from the room entrance');
    assert.ok(near > 2 * far, `table ${far} → ${near} columns wide`);
  });
});

describe('demo bag', () => {
  let tmp: ReturnType<typeof tempDir>;
  let result: DemoBagResult;
  let reader: BagReader;

  before(async () => {
    tmp = tempDir('demo');
    result = await generateDemoBag(path.join(tmp.dir, 'demo.mcap'), { duration_s: 3, seed: 1 });
    reader = await openBag(result.path);
  });
  after(async () => {
    await reader.close();
    tmp.cleanup();
  });

  it('has the Go2 topics, types and rates', () => {
    assert.equal(result.aborted, false);
    const topics = new Map(reader.topics().map((t) => [t.name, t]));
    const expected: [string, string, number][] = [
      [DEMO_TOPICS.image, 'sensor_msgs/msg/CompressedImage', 15],
      [DEMO_TOPICS.cameraInfo, 'sensor_msgs/msg/CameraInfo', 15],
      [DEMO_TOPICS.odom, 'nav_msgs/msg/Odometry', 50],
      [DEMO_TOPICS.tf, 'tf2_msgs/msg/TFMessage', 50],
      [DEMO_TOPICS.cmdVel, 'geometry_msgs/msg/Twist', 20],
    ];
    assert.equal(topics.size, expected.length);
    for (const [name, type, hz] of expected) {
      const t = topics.get(name)!;
      assert.equal(t.type, type);
      assert.equal(t.count, 3 * hz, name);
      const rate = (t.count - 1) / (Number(t.lastNs! - t.firstNs!) / 1e9);
      assert.ok(Math.abs(rate - hz) < 0.01, `${name}: ${rate} Hz`);
    }
    assert.match(topics.get(DEMO_TOPICS.image)!.offeredQosProfiles, /best_effort/);
  });

  it('frames are 1280×720 JPEGs in front_camera with a 90° pinhole camera_info', async () => {
    const images = await collect(reader.messages<CompressedImage>({ topics: [DEMO_TOPICS.image] }));
    const meta = await sharp(images[0]!.message.data).metadata();
    assert.deepEqual([meta.format, meta.width, meta.height], ['jpeg', 1280, 720]);
    assert.equal(images[0]!.message.header.frame_id, 'front_camera');
    for await (const m of reader.messages<{ k: Float64Array; width: number; height: number }>({
      topics: [DEMO_TOPICS.cameraInfo],
    })) {
      assert.deepEqual([...m.message.k], [640, 0, 640, 0, 640, 360, 0, 0, 1]);
      break;
    }
  });

  it('frames change while the robot moves, in step with odometry', async () => {
    const decode = async (m: BagMessage<CompressedImage>): Promise<Buffer> =>
      sharp(m.message.data).resize(320, 180).raw().toBuffer();
    const images = await collect(reader.messages<CompressedImage>({ topics: [DEMO_TOPICS.image] }));
    const odom = await collect(reader.messages<Odometry>({ topics: [DEMO_TOPICS.odom] }));
    const meanAbsDiff = (a: Buffer, b: Buffer): number =>
      a.reduce((s, v, i) => s + Math.abs(v - b[i]!), 0) / a.length;
    const [f0, f1, f30, f38] = await Promise.all([0, 1, 30, 38].map((i) => decode(images[i]!)));
    const nearestOdom = (t: bigint): BagMessage<Odometry> =>
      odom.reduce((best, o) => (abs(o.logTimeNs - t) < abs(best.logTimeNs - t) ? o : best));
    const x = (i: number): number => nearestOdom(images[i]!.logTimeNs).message.pose.pose.position.x;
    // Standing still at the start: nearly the same image; walking at 0.5 m/s: clearly different ones.
    assert.ok(x(1) - x(0) < 0.005);
    assert.ok(meanAbsDiff(f0!, f1!) < 2, `still: ${meanAbsDiff(f0!, f1!)}`);
    assert.ok(x(38) - x(30) > 0.2);
    assert.ok(meanAbsDiff(f30!, f38!) > 6, `moving: ${meanAbsDiff(f30!, f38!)}`);
  });

  it('bag info lists every topic with its rate', () => {
    const text = formatBagInfo(result.path, reader);
    assert.match(text, /duration: {2}2\.980 s/);
    assert.match(
      text,
      /\/camera\/image_raw\/compressed +sensor_msgs\/msg\/CompressedImage +45 +15\.00 Hz +best_effort\/5/,
    );
    assert.match(text, /\/odom +nav_msgs\/msg\/Odometry +150 +50\.00 Hz +reliable\/10/);
  });

  it('stops early when aborted and still closes a complete bag', async () => {
    const abort = new AbortController();
    const r = await generateDemoBag(path.join(tmp.dir, 'aborted.mcap'), {
      duration_s: 3,
      width: 320,
      height: 180,
      signal: abort.signal,
      onProgress: (done) => done >= 0.5 && abort.abort(),
    });
    assert.equal(r.aborted, true);
    assert.ok(r.frameCount >= 8 && r.frameCount < 45, `${r.frameCount} frames`);
    const short = await openBag(r.path);
    assert.equal(short.indexed, true, 'summary written');
    assert.equal(short.messageCount, r.messageCount);
    await short.close();
  });
});
