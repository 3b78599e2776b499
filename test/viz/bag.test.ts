import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openBag, BagWriter } from '../../src/bag';
import { NS_PER_S } from '../../src/messages/time';
import { intrinsicsFromHfov } from '../../src/camera/intrinsics';
import { type CameraMount } from '../../src/camera/mount';
import {
  frameTransforms,
  pathImageAnnotations,
  pathPosesInFrame,
  pathSceneUpdate,
} from '../../src/viz/foxglove';
import { trajectoryFromPlanMsg } from '../../src/messages/plan';
import { VIZ_TOPICS, VIZ_TOPIC_TYPES } from '../../src/viz/topics';
import { odometry, planMsg } from './fixtures';

function plain(value: unknown): unknown {
  if (ArrayBuffer.isView(value)) return Array.from(value as unknown as ArrayLike<number>);
  if (Array.isArray(value)) return value.map(plain);
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
  return value;
}

describe('viz messages in a rosbag2 MCAP', () => {
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'svnav-viz-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('writes every viz topic with the foxglove_msgs ros2msg schema and reads it back equal', async () => {
    const stamp = 1_700_000_003n * NS_PER_S;
    const path = trajectoryFromPlanMsg(
      planMsg({ stampNs: stamp, dx_m: 0.1, dtheta_rad: 0.05, inputPose: { x_m: 1, y_m: 2, theta_rad: 0.3 } }),
    );
    const mount: CameraMount = {
      frameId: 'front_camera',
      height_m: 0.32,
      pitch_rad: 0,
      forward_m: 0.28,
      lateral_m: 0,
    };
    const messages: Record<string, unknown> = {
      [VIZ_TOPICS.pathPoses]: pathPosesInFrame(path),
      [VIZ_TOPICS.pathScene]: pathSceneUpdate(path),
      [VIZ_TOPICS.pathAnnotations]: pathImageAnnotations(path, {
        mount,
        intrinsics: intrinsicsFromHfov(64, 36, 90),
      }),
      [VIZ_TOPICS.transforms]: frameTransforms({
        odometry: odometry(stamp, { x_m: 1, y_m: 2, theta_rad: 0.3 }),
        mount: { camera: mount, baseFrameId: 'base_link', stampNs: stamp },
      }),
    };
    const file = join(dir, 'viz.mcap');
    const writer = await BagWriter.create(file);
    for (const [topic, message] of Object.entries(messages)) {
      await writer.write(topic, VIZ_TOPIC_TYPES[topic as keyof typeof VIZ_TOPIC_TYPES], stamp, message);
    }
    await writer.close();

    const reader = await openBag(file);
    try {
      const topics = reader.topics();
      assert.deepEqual(
        topics.map((t) => [t.name, t.type, t.schemaEncoding, t.messageEncoding]).sort(),
        Object.entries(VIZ_TOPIC_TYPES)
          .map(([name, type]) => [name, type, 'ros2msg', 'cdr'])
          .sort(),
      );
      let n = 0;
      for await (const m of reader.messages()) {
        assert.deepEqual(plain(m.message), plain(messages[m.topic]), m.topic);
        n++;
      }
      assert.equal(n, 4);
    } finally {
      await reader.close();
    }
  });
});
