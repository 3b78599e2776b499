import sharp from 'sharp';
import type { Image } from '../messages/ros';
import { stampToNs } from '../messages/time';
import { packedPixels, RAW_ENCODINGS, rawImageProblem } from './decode';
import { CameraFrameError } from './frame';

export interface RelayJpegOptions {
  readonly topic: string;
  /** Output width; the height keeps the camera's aspect ratio. */
  readonly widthPx: number;
  readonly quality: number;
}

export interface RelayJpeg {
  readonly data: Buffer;
  readonly width: number;
  readonly height: number;
  /** image_transport's format string: "<source encoding>; jpeg compressed <jpeg colour order>". */
  readonly format: string;
}

/**
 * A raw camera frame downsized and JPEG-compressed for the link to the planner host. Colour frames are resized
 * first and their B/R swapped afterwards, on the small image, where it costs a fraction of a millisecond.
 */
export async function compressForRelay(msg: Image, options: RelayJpegOptions): Promise<RelayJpeg> {
  const problem = rawImageProblem(msg);
  if (problem) {
    throw new CameraFrameError(
      {
        topic: options.topic,
        encoding: msg.encoding,
        width: msg.width,
        height: msg.height,
        stampNs: stampToNs(msg.header.stamp),
        step: msg.step,
        bytes: msg.data.length,
      },
      problem,
    );
  }
  const layout = RAW_ENCODINGS[msg.encoding]!;
  const width = Math.min(options.widthPx, msg.width);
  const height = Math.max(1, Math.round((msg.height * width) / msg.width));
  const raw = { width: msg.width, height: msg.height, channels: layout.channels };
  const small = await sharp(packedPixels(msg, layout), { raw })
    .resize(width, height, { fit: 'fill', kernel: 'linear' })
    .raw()
    .toBuffer();
  if (layout.order === 'bgr') swapRedBlue(small);
  const data = await sharp(small, { raw: { width, height, channels: layout.channels } })
    .jpeg({ quality: options.quality, chromaSubsampling: '4:2:0' })
    .toBuffer();
  const colour = layout.channels === 1 ? 'mono8' : 'bgr8';
  return { data, width, height, format: `${msg.encoding}; jpeg compressed ${colour}` };
}

function swapRedBlue(rgb: Buffer): void {
  for (let i = 0; i + 2 < rgb.length; i += 3) {
    const b = rgb[i]!;
    rgb[i] = rgb[i + 2]!;
    rgb[i + 2] = b;
  }
}
