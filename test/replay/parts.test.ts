import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import type { BagTopic } from '../../src/bag/reader';
import { defaultConfig } from '../../src/config';
import { RosTypes, type PlanMsg, type StringMsg } from '../../src/messages/ros';
import { BagTransport } from '../../src/replay/bag-transport';
import { chooseCameraTopic, ReplayInputError } from '../../src/replay/camera-topic';
import { evaluateBag, TfOdometry } from '../../src/replay/evaluate';
import { planDelayRules } from '../../src/replay/latency';
import { PacedClock } from '../../src/replay/paced-clock';
import { periodStats } from '../../src/replay/twist-timing';
import { cameraInfoTopicFor } from '../../src/camera/intrinsics';
import { VirtualClock } from '../../src/transport/memory';
import { tempDir } from '../bag/helpers';
import { MS, T0, writeSmallBag } from './bags';

const topic = (name: string, type: string, count = 10): BagTopic => ({
  name,
  type,
  count,
  firstNs: 0n,
  lastNs: 1n,
  messageEncoding: 'cdr',
  schemaEncoding: 'ros2msg',
  offeredQosProfiles: '',
});

describe('replay parts', () => {
  describe('BagTransport', () => {
    it('delivers a delayed topic at publication time + delay, firing timers on the way, and records it then', () => {
      const clock = new VirtualClock(T0);
      const t = new BagTransport({ clock, delays: new Map([['/late', { delayNs: 300n * MS }]]) });
      const seen: { what: string; at: bigint }[] = [];
      t.subscribe<StringMsg>('/late', RosTypes.String).subscribe((m) =>
        seen.push({ what: m.data, at: clock.now() }),
      );
      clock.interval(100n * MS).subscribe((at) => seen.push({ what: 'tick', at }));
      const late = t.createPublisher<StringMsg>('/late', RosTypes.String);
      const now = t.createPublisher<StringMsg>('/now', RosTypes.String);
      late.publish({ data: 'plan' });
      now.publish({ data: 'status' });
      assert.equal(t.nextDueNs, T0 + 300n * MS);
      t.advanceTo(T0 + 250n * MS);
      assert.deepEqual(
        seen.map((s) => s.what),
        ['tick', 'tick'],
      );
      t.advanceTo(T0 + 400n * MS);
      assert.deepEqual(seen, [
        { what: 'tick', at: T0 + 100n * MS },
        { what: 'tick', at: T0 + 200n * MS },
        { what: 'tick', at: T0 + 300n * MS },
        { what: 'plan', at: T0 + 300n * MS },
        { what: 'tick', at: T0 + 400n * MS },
      ]);
      assert.deepEqual(
        t.drain().map((m) => [m.topic, m.timeNs]),
        [
          ['/now', T0],
          ['/late', T0 + 300n * MS],
        ],
      );
      assert.equal(t.nextDueNs, undefined);
    });

    it('keeps injected bag messages out of drain() and lists the topics nodes publish on', () => {
      const t = new BagTransport({ clock: new VirtualClock(T0) });
      const got: string[] = [];
      t.subscribe<StringMsg>('/in', RosTypes.String).subscribe((m) => got.push(m.data));
      t.createPublisher<StringMsg>('/out', RosTypes.String).publish({ data: 'x' });
      t.inject('/in', RosTypes.String, { data: 'from the bag' });
      assert.deepEqual(got, ['from the bag']);
      assert.deepEqual(
        t.drain().map((m) => m.topic),
        ['/out'],
      );
      assert.deepEqual([...t.nodeTopics.keys()], ['/out']);
    });

    it('refuses modelled delays on a wall-paced clock', () => {
      assert.throws(
        () => new BagTransport({ clock: new PacedClock(T0), delays: new Map([['/p', { delayNs: 1n }]]) }),
        /delays on \/p need virtual time/,
      );
    });

    it('the plan latency model delays plan, path and future, and adds the delay to latency_s', () => {
      const config = defaultConfig();
      const rules = planDelayRules(config, { kind: 'fixed', latency_ms: 350, source: 'configured' });
      assert.deepEqual([...rules.keys()], ['/svnav/plan', '/svnav/path', '/svnav/imagined_future']);
      const adjusted = rules.get('/svnav/plan')!.adjust!({ latency_s: 0.1 } as PlanMsg, 350n * MS) as PlanMsg;
      assert.ok(Math.abs(adjusted.latency_s - 0.45) < 1e-12);
      assert.equal(planDelayRules(config, { kind: 'wall_clock' }).size, 0);
    });
  });

  describe('PacedClock', () => {
    it('reads the bag start plus elapsed wall time', () => {
      let wall = 5_000n;
      const clock = new PacedClock(T0, () => wall);
      wall += 123n * MS;
      assert.equal(clock.now(), T0 + 123n * MS);
      assert.equal(clock.msUntil(T0 + 200n * MS), 77);
    });

    it('ticks at its period by wall time', async () => {
      const clock = new PacedClock(T0);
      const ticks: bigint[] = [];
      const sub = clock.interval(20n * MS).subscribe((t) => ticks.push(t));
      await new Promise((r) => setTimeout(r, 130));
      sub.unsubscribe();
      assert.ok(ticks.length >= 5 && ticks.length <= 7, `${ticks.length} ticks`);
      assert.ok(ticks.every((t, i) => i === 0 || t > ticks[i - 1]!));
    });
  });

  describe('camera topic choice', () => {
    const config = defaultConfig().camera;
    it('detects the well-known compressed topic when the configured raw one is absent', () => {
      const topics = [
        topic('/odom', RosTypes.Odometry),
        topic('/camera/image_raw/compressed', RosTypes.CompressedImage),
      ];
      assert.deepEqual(chooseCameraTopic('b.mcap', topics, config, false), {
        topic: '/camera/image_raw/compressed',
        type: RosTypes.CompressedImage,
        how: 'detected',
      });
    });

    it('takes a single image topic of any name, but refuses to guess between several', () => {
      const one = [topic('/front/image', RosTypes.Image)];
      assert.equal(chooseCameraTopic('b.mcap', one, config, false).topic, '/front/image');
      const two = [...one, topic('/rear/image', RosTypes.Image, 3)];
      assert.throws(
        () => chooseCameraTopic('b.mcap', two, config, false),
        (err: Error) =>
          err instanceof ReplayInputError &&
          /\/front\/image \(sensor_msgs\/msg\/Image, 10 messages\), \/rear\/image .*--camera-topic/.test(
            err.message,
          ),
      );
    });

    it('an explicitly configured topic must be in the bag', () => {
      const topics = [topic('/camera/image_raw/compressed', RosTypes.CompressedImage)];
      assert.throws(
        () => chooseCameraTopic('b.mcap', topics, config, true),
        /configured topic \/camera\/image_raw /,
      );
    });

    it('finds camera_info beside the image topic', () => {
      assert.equal(cameraInfoTopicFor('/camera/image_raw/compressed'), '/camera/camera_info');
      assert.equal(cameraInfoTopicFor('/front/image_raw'), '/front/camera_info');
    });
  });

  describe('Twist timing', () => {
    it('reports period and jitter quantiles of wall-clock intervals', () => {
      const times = [0, 50, 100, 160, 200, 250].map((ms) => BigInt(ms) * MS);
      const s = periodStats(times, 50n * MS)!;
      assert.equal(s.intervals, 5);
      assert.equal(s.period_ms.p50, 50);
      assert.equal(s.jitter_ms.max, 10);
      assert.ok(s.jitter_ms.p99 > 9 && s.jitter_ms.p99 <= 10);
      assert.equal(periodStats([1n], 50n * MS), null);
    });
  });

  describe('evaluation inputs', () => {
    let tmp: ReturnType<typeof tempDir>;
    before(() => (tmp = tempDir('replay-eval')));
    after(() => tmp.cleanup());

    it('odometry from TF: poses from odom→base_link, velocities from consecutive poses', () => {
      const tf = new TfOdometry('base_link');
      const at = (ms: number, x: number) => ({
        transforms: [
          {
            header: { stamp: { sec: 1, nanosec: ms * 1e6 }, frame_id: 'odom' },
            child_frame_id: 'base_link',
            transform: { translation: { x, y: 0, z: 0 }, rotation: { x: 0, y: 0, z: 0, w: 1 } },
          },
          {
            header: { stamp: { sec: 1, nanosec: ms * 1e6 }, frame_id: 'base_link' },
            child_frame_id: 'front_camera',
            transform: { translation: { x: 0.3, y: 0, z: 0.3 }, rotation: { x: 0, y: 0, z: 0, w: 1 } },
          },
        ],
      });
      tf.add(at(0, 1));
      tf.add(at(100, 1.05));
      assert.equal(tf.messages.length, 2);
      assert.ok(Math.abs(tf.messages[1]!.msg.twist.twist.linear.x - 0.5) < 1e-9);
      assert.equal(tf.messages[1]!.msg.pose.pose.position.x, 1.05);
    });

    it('a bag with TF but no Odometry is evaluated from TF, and says so', async () => {
      const bag = path.join(tmp.dir, 'tf.mcap');
      await writeSmallBag(bag, { duration_s: 0.5, odometry: 'tf' });
      const { report, odometrySource } = await evaluateBag(bag, defaultConfig());
      assert.equal(odometrySource, 'tf');
      assert.equal(report.summary.odometry.samples, 25);
      assert.ok(report.notes.some((n) => n.includes('odometry taken from /tf')));
    });

    it('odometry with NaN is noted by topic and time, the rest evaluated', async () => {
      const bag = path.join(tmp.dir, 'nan.mcap');
      await writeSmallBag(bag, { duration_s: 0.5, nanAt_s: 0.2 });
      const { report } = await evaluateBag(bag, defaultConfig());
      assert.equal(report.summary.odometry.samples, 24);
      assert.equal(report.summary.odometry.rejected, 1);
      const note = report.notes.find((n) => n.includes('/odom at'));
      assert.ok(
        note?.includes(`${(Number(T0) / 1e9 + 0.2).toFixed(3)} s`),
        `notes: ${report.notes.join(' | ')}`,
      );
    });
  });
});
