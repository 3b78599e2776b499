import * as path from 'node:path';
import sharp from 'sharp';
import { BagWriter } from '../../src/bag/writer';
import { RosTypes, type CompressedImage, type Odometry } from '../../src/messages/ros';
import { nsToStamp, type TimeNs } from '../../src/messages/time';
import { halves } from '../camera/images';

export const ZSTD_BAG = path.resolve(
  __dirname,
  '../fixtures/rosbag2-jazzy/go2_compressed_zstd/go2_compressed_zstd_0.mcap',
);
export const RAW_BAG = path.resolve(__dirname, '../fixtures/rosbag2-jazzy/go2_raw/go2_raw_0.mcap');

export const MS = 1_000_000n;
export const T0 = 1_700_000_000_000_000_000n;

export function odometry(stampNs: TimeNs, x_m: number, yaw_rad = 0, vx_mps = 0.4): Odometry {
  return {
    header: { stamp: nsToStamp(stampNs), frame_id: 'odom' },
    child_frame_id: 'base_link',
    pose: {
      pose: {
        position: { x: x_m, y: 0, z: 0 },
        orientation: { x: 0, y: 0, z: Math.sin(yaw_rad / 2), w: Math.cos(yaw_rad / 2) },
      },
      covariance: new Float64Array(36),
    },
    twist: {
      twist: { linear: { x: vx_mps, y: 0, z: 0 }, angular: { x: 0, y: 0, z: 0 } },
      covariance: new Float64Array(36),
    },
  };
}

export interface SmallBagOptions {
  duration_s: number;
  /** null: no camera at all. */
  cameraTopic?: string | null;
  cameraHz?: number;
  /** Odometry at 50 Hz, moving forward at 0.4 m/s; `nanAt_s` puts NaN into the pose at that time. */
  odometry?: 'odom' | 'tf' | 'none';
  nanAt_s?: number;
  /** A JPEG whose format field says something the planner does not decode. */
  badFormatAt_s?: number;
  /** Camera image size; default 160×90. */
  imageSize?: { width: number; height: number };
}

/** A short bag with a (default 160×90) JPEG camera and odometry, written with our BagWriter. */
export async function writeSmallBag(path: string, options: SmallBagOptions): Promise<void> {
  const { width, height } = options.imageSize ?? { width: 160, height: 90 };
  const jpeg = await sharp(halves(width, height, [200, 120, 40], [30, 60, 200]), {
    raw: { width, height, channels: 3 },
  })
    .jpeg()
    .toBuffer();
  const camera = options.cameraTopic ?? '/camera/image_raw/compressed';
  const cameraPeriod = BigInt(Math.round(1000 / (options.cameraHz ?? 10))) * MS;
  const end = T0 + BigInt(Math.round(options.duration_s * 1000)) * MS;
  const writer = await BagWriter.create(path);
  const events: { t: TimeNs; write: () => Promise<void> }[] = [];
  for (let t = T0; options.cameraTopic !== null && t < end; t += cameraPeriod) {
    const bad = options.badFormatAt_s !== undefined && t === T0 + BigInt(options.badFormatAt_s * 1000) * MS;
    const image: CompressedImage = {
      header: { stamp: nsToStamp(t), frame_id: 'front_camera' },
      format: bad ? 'h264' : 'jpeg',
      data: jpeg,
    };
    events.push({ t, write: () => writer.write(camera, RosTypes.CompressedImage, t, image) });
  }
  if (options.odometry !== 'none') {
    for (let t = T0; t < end; t += 20n * MS) {
      const s = Number(t - T0) / 1e9;
      const msg = odometry(t, 0.4 * s);
      if (options.nanAt_s !== undefined && Math.abs(s - options.nanAt_s) < 1e-9)
        msg.pose.pose.position.x = NaN;
      events.push({
        t,
        write: () =>
          options.odometry === 'tf'
            ? writer.write('/tf', RosTypes.TFMessage, t, {
                transforms: [
                  {
                    header: msg.header,
                    child_frame_id: 'base_link',
                    transform: { translation: msg.pose.pose.position, rotation: msg.pose.pose.orientation },
                  },
                ],
              })
            : writer.write('/odom', RosTypes.Odometry, t, msg),
      });
    }
  }
  events.sort((a, b) => (a.t < b.t ? -1 : a.t > b.t ? 1 : 0));
  for (const e of events) await e.write();
  await writer.close();
}
