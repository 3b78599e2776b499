import { strict as assert } from 'node:assert';
import sharp from 'sharp';
import { decodeCompressedImage } from '../../src/camera';
import { defaultConfig, parseConfig } from '../../src/config';
import type { CompressedImage, Image } from '../../src/messages/ros';
import { nsToStamp } from '../../src/messages/time';
import { CameraRelayNode } from '../../src/nodes/camera-relay';
import { InMemoryTransport } from '../../src/transport/memory';
import type { Logger } from '../../src/transport/transport';
import { halves, near, pixel, rawImage } from '../camera/images';

const MS = 1_000_000n;
const RED = [220, 30, 20] as const;
const BLUE = [10, 40, 230] as const;
const go2Frame = rawImage(halves(1280, 720, RED, BLUE), 1280, 720, { encoding: 'bgr8' });

function at(frame: Image, stampNs: bigint): Image {
  return { ...frame, header: { ...frame.header, stamp: nsToStamp(stampNs) } };
}

function setup(overrides: Record<string, unknown> = {}) {
  const errors: string[] = [];
  const log: Logger = {
    debug: () => {},
    info: () => {},
    warn: (m) => errors.push(m),
    error: (m) => errors.push(m),
  };
  const transport = new InMemoryTransport(undefined, log);
  const config = parseConfig({ camera: overrides });
  const node = new CameraRelayNode(transport, config);
  node.start();
  const relayed = () =>
    transport.messagesOn<CompressedImage>(config.camera.relay_topic).map((p) => p.message);
  const send = async (frame: Image) => {
    transport.inject(config.camera.topic, 'sensor_msgs/msg/Image', frame);
    await node.idle();
  };
  return { transport, node, relayed, send, errors };
}

describe('camera relay node', () => {
  it('publishes a 640×360 JPEG of a 720p bgr8 frame with the original header and correct colours', async () => {
    const { relayed, send } = setup();
    await send(at(go2Frame, 42_123_456_789n));
    const [msg] = relayed();
    assert.ok(msg);
    assert.deepEqual(msg.header, { stamp: { sec: 42, nanosec: 123_456_789 }, frame_id: 'front_camera' });
    assert.equal(msg.format, 'bgr8; jpeg compressed bgr8');
    const meta = await sharp(msg.data).metadata();
    assert.deepEqual([meta.format, meta.width, meta.height], ['jpeg', 640, 360]);
    assert.ok(msg.data.length < 60_000, `${msg.data.length} bytes`);
    const frame = await decodeCompressedImage(msg, {
      topic: '/camera/image_raw/compressed',
      resolution: { height: 256, width: 256 },
    });
    assert.ok(near(pixel(frame.rgb, 256, 20, 128), RED, 12), `left ${pixel(frame.rgb, 256, 20, 128)}`);
    assert.ok(near(pixel(frame.rgb, 256, 235, 128), BLUE, 12), `right ${pixel(frame.rgb, 256, 235, 128)}`);
  });

  it('relays a 15 Hz camera at the configured 8 Hz, by stamp', async () => {
    const { node, relayed, send } = setup();
    const small = rawImage(halves(320, 180, RED, BLUE), 320, 180);
    for (let i = 0; i < 30; i++)
      await send(at(small, 5_000n * MS + BigInt(Math.round((i * 1000) / 15)) * MS));
    assert.equal(relayed().length, 16);
    assert.deepEqual(node.stats, { received: 30, relayed: 16, throttled: 14, busy: 0, failed: 0 });
  });

  it('skips frames that arrive while the previous one is being compressed', async () => {
    const { transport, node, relayed } = setup({ relay_rate_hz: 30 });
    transport.inject('/camera/image_raw', 'sensor_msgs/msg/Image', at(go2Frame, 1_000n * MS));
    transport.inject('/camera/image_raw', 'sensor_msgs/msg/Image', at(go2Frame, 1_040n * MS));
    await node.idle();
    assert.equal(relayed().length, 1);
    assert.equal(node.stats.busy, 1);
  });

  it('counts and logs an unusable frame once per kind of problem, publishing nothing', async () => {
    const { node, relayed, send, errors } = setup();
    const bad = { ...rawImage(halves(8, 4, RED, BLUE), 8, 4), encoding: 'yuv422' };
    await send(at(bad, 1_000n * MS));
    await send(at(bad, 2_000n * MS));
    assert.equal(relayed().length, 0);
    assert.equal(node.stats.failed, 2);
    assert.equal(errors.length, 1);
    assert.match(
      errors[0]!,
      /^camera relay: camera frame on \/camera\/image_raw at 1\.000000000 s \(encoding "yuv422"/,
    );
  });

  it('refuses a config whose camera is already compressed, or that relays onto its own input', () => {
    const transport = new InMemoryTransport();
    const compressed = parseConfig({ camera: { type: 'sensor_msgs/msg/CompressedImage' } });
    assert.throws(() => new CameraRelayNode(transport, compressed).start(), /needs sensor_msgs\/msg\/Image/);
    const loop = parseConfig({ camera: { relay_topic: '/camera/image_raw' } });
    assert.throws(() => new CameraRelayNode(transport, loop).start(), /both \/camera\/image_raw/);
  });

  it('stops taking frames after stop() and finishes the frame in flight', async () => {
    const { transport, node, relayed } = setup();
    transport.inject('/camera/image_raw', 'sensor_msgs/msg/Image', at(go2Frame, 1_000n * MS));
    await node.stop('test');
    assert.equal(relayed().length, 1);
    transport.inject('/camera/image_raw', 'sensor_msgs/msg/Image', at(go2Frame, 3_000n * MS));
    await node.idle();
    assert.equal(relayed().length, 1);
    assert.throws(() => node.start(), /already stopped/);
  });

  it('uses the relay defaults of the config schema', () => {
    const c = defaultConfig().camera;
    assert.deepEqual(
      [c.relay_topic, c.relay_rate_hz, c.relay_width_px, c.relay_jpeg_quality],
      ['/camera/image_raw/compressed', 8, 640, 80],
    );
  });
});
