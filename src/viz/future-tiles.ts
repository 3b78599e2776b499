/**
 * The imagined future for Foxglove: the strip that imaging/ draws, wrapped as a foxglove_msgs/CompressedImage.
 * The raster work lives in imaging/ because the planner node needs it too, and nothing upstream imports viz.
 */
import { encodeFutureFrames, type FutureFrame, type StripOptions } from '../imaging/future-strip';
import type { TimeNs } from '../messages/time';
import { compressedImage } from './foxglove';
import type { FoxgloveCompressedImage } from './foxglove-msgs';

/** foxglove_msgs/CompressedImage (JPEG) of the future frames. */
export async function futureFramesImage(
  frames: readonly FutureFrame[],
  options: StripOptions & { readonly stampNs: TimeNs; readonly frameId: string },
): Promise<FoxgloveCompressedImage> {
  return compressedImage(options.stampNs, options.frameId, 'jpeg', await encodeFutureFrames(frames, options));
}
