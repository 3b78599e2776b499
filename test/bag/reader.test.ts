import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';
import { parse } from 'yaml';
import { openBag, type BagMessage } from '../../src/bag/reader';
import type { CompressedImage, Image, Odometry, Twist } from '../../src/messages/ros';
import { FIXTURES, RAW_BAG, ZSTD_BAG, collect } from './helpers';

interface RecordedTopic {
  topic_metadata: { name: string; type: string };
  message_count: number;
}

function metadataCounts(dir: string): Map<string, { type: string; count: number }> {
  const meta = parse(readFileSync(path.join(FIXTURES, dir, 'metadata.yaml'), 'utf8')) as {
    rosbag2_bagfile_information: { topics_with_message_count: RecordedTopic[] };
  };
  return new Map(
    meta.rosbag2_bagfile_information.topics_with_message_count.map((t) => [
      t.topic_metadata.name,
      { type: t.topic_metadata.type, count: t.message_count },
    ]),
  );
}

function assertLogTimeOrder(messages: readonly BagMessage[]): void {
  for (let i = 1; i < messages.length; i++) {
    assert.ok(messages[i]!.logTimeNs >= messages[i - 1]!.logTimeNs, `message ${i} is out of log-time order`);
  }
}

describe('bag reader on bags recorded by ros2 bag record (Jazzy)', () => {
  for (const [dir, file] of [
    ['go2_compressed_zstd', ZSTD_BAG],
    ['go2_raw', RAW_BAG],
  ] as const) {
    it(`${dir}: topics, types and counts match metadata.yaml`, async () => {
      const reader = await openBag(file);
      try {
        assert.ok(reader.indexed, 'read through the summary');
        assert.equal(reader.profile, 'ros2');
        const expected = metadataCounts(dir);
        const topics = new Map(reader.topics().map((t) => [t.name, t]));
        assert.deepEqual([...topics.keys()].sort(), [...expected.keys()].sort());
        for (const [name, e] of expected) {
          assert.equal(topics.get(name)!.type, e.type, name);
          assert.equal(topics.get(name)!.count, e.count, name);
          assert.match(topics.get(name)!.offeredQosProfiles, /reliability: (reliable|best_effort)/);
        }
        const messages = await collect(reader.messages({ decode: false }));
        assert.equal(
          messages.length,
          [...expected.values()].reduce((n, e) => n + e.count, 0),
        );
        assertLogTimeOrder(messages);
        assert.equal(messages[0]!.logTimeNs, reader.startTimeNs);
        assert.equal(messages[messages.length - 1]!.logTimeNs, reader.endTimeNs);
      } finally {
        await reader.close();
      }
    });
  }

  it('decodes CompressedImage (a 640×360 JPEG sharp can read), CameraInfo, Odometry, TF and Twist', async () => {
    const reader = await openBag(ZSTD_BAG);
    try {
      const first = async <T>(topic: string): Promise<T> => {
        for await (const m of reader.messages<T>({ topics: [topic] })) return m.message;
        throw new Error(`no message on ${topic}`);
      };
      const image = await first<CompressedImage>('/camera/image_raw/compressed');
      assert.equal(image.format, 'jpeg');
      assert.equal(image.header.frame_id, 'front_camera');
      const meta = await sharp(image.data).metadata();
      assert.deepEqual([meta.format, meta.width, meta.height], ['jpeg', 640, 360]);

      const info = await first<{ width: number; height: number; k: Float64Array }>('/camera/camera_info');
      assert.deepEqual([info.width, info.height], [640, 360]);
      // 90° horizontal field of view: fx = (width / 2) / tan(45°).
      assert.ok(Math.abs(info.k[0]! - 320) < 1e-6, `fx = ${info.k[0]}`);

      const odom = await first<Odometry>('/odom');
      assert.deepEqual([odom.header.frame_id, odom.child_frame_id], ['odom', 'base_link']);
      assert.equal(odom.twist.twist.linear.x, 0.4);
      assert.equal(odom.pose.covariance.length, 36);

      const tf = await first<{ transforms: { header: { frame_id: string }; child_frame_id: string }[] }>(
        '/tf',
      );
      assert.deepEqual(
        tf.transforms.map((t) => `${t.header.frame_id}->${t.child_frame_id}`),
        ['odom->base_link'],
      );

      const twist = await first<Twist>('/cmd_vel');
      assert.deepEqual([twist.linear.x, twist.angular.z], [0.4, 0.15]);
    } finally {
      await reader.close();
    }
  });

  it('decodes a raw bgr8 Image from an uncompressed bag', async () => {
    const reader = await openBag(RAW_BAG);
    try {
      const images = await collect(reader.messages<Image>({ topics: ['/camera/image_raw'] }));
      assert.equal(images.length, 43);
      const img = images[10]!.message;
      assert.deepEqual(
        [img.encoding, img.width, img.height, img.step, img.is_bigendian],
        ['bgr8', 320, 180, 960, 0],
      );
      assert.equal(img.data.length, 320 * 180 * 3);
      // A drawn scene, not a blank buffer.
      assert.ok(new Set(img.data.subarray(0, 3000)).size > 10);
    } finally {
      await reader.close();
    }
  });

  it('filters by topic and inclusive log-time bounds', async () => {
    const reader = await openBag(ZSTD_BAG);
    try {
      const all = await collect(reader.messages({ topics: ['/cmd_vel'], decode: false }));
      const startNs = all[10]!.logTimeNs;
      const endNs = all[20]!.logTimeNs;
      const some = await collect(
        reader.messages({ topics: ['/cmd_vel', '/odom'], startNs, endNs, decode: false }),
      );
      assert.ok(some.every((m) => m.logTimeNs >= startNs && m.logTimeNs <= endNs));
      assert.deepEqual([...new Set(some.map((m) => m.topic))].sort(), ['/cmd_vel', '/odom']);
      assert.equal(some.filter((m) => m.topic === '/cmd_vel').length, 11);
    } finally {
      await reader.close();
    }
  });

  it('streaming and indexed reading yield the same messages', async () => {
    for (const file of [RAW_BAG, ZSTD_BAG]) {
      const indexed = await openBag(file);
      const streamed = await openBag(file, { forceStreaming: true });
      try {
        assert.equal(streamed.indexed, false);
        assert.equal(streamed.damage, undefined);
        assert.deepEqual(streamed.topics(), indexed.topics());
        const a = await collect(indexed.messages({ decode: false }));
        const b = await collect(streamed.messages({ decode: false }));
        assert.equal(b.length, a.length);
        for (let i = 0; i < a.length; i++) {
          assert.equal(b[i]!.logTimeNs, a[i]!.logTimeNs);
          assert.equal(b[i]!.topic, a[i]!.topic);
          assert.ok(
            Buffer.from(b[i]!.data).equals(Buffer.from(a[i]!.data)),
            `payload ${i} on ${a[i]!.topic}`,
          );
        }
      } finally {
        await indexed.close();
        await streamed.close();
      }
    }
  });

  it('both readers answer the one interface alike: metadata, and messages filtered by topic and log time', async () => {
    const indexed = await openBag(ZSTD_BAG);
    const streamed = await openBag(ZSTD_BAG, { forceStreaming: true });
    try {
      assert.deepEqual([indexed.indexed, streamed.indexed], [true, false]);
      for (const key of ['path', 'profile', 'library', 'messageCount', 'startTimeNs', 'endTimeNs'] as const) {
        assert.equal(streamed[key], indexed[key], key);
      }
      assert.deepEqual([indexed.skippedChunks, streamed.skippedChunks], [[], []]);
      const odom = await collect(indexed.messages({ topics: ['/odom'], decode: false }));
      const window = {
        topics: ['/odom', '/cmd_vel'],
        startNs: odom[5]!.logTimeNs,
        endNs: odom[40]!.logTimeNs,
      };
      const a = await collect(indexed.messages<Odometry>(window));
      const b = await collect(streamed.messages<Odometry>(window));
      assert.ok(a.length > 36, `${a.length} messages in the window`);
      assert.deepEqual(
        b.map((m) => [m.topic, m.logTimeNs, m.sequence]),
        a.map((m) => [m.topic, m.logTimeNs, m.sequence]),
      );
      assert.deepEqual(b[0]!.message, a[0]!.message);
    } finally {
      await indexed.close();
      await streamed.close();
    }
  });
});
