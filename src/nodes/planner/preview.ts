import { encodeFutureFrames, type FutureFrame } from '../../imaging/future-strip';
import type { CompressedImage } from '../../messages/ros';
import { nsToStamp } from '../../messages/time';
import { futureChunkTimes, type Plan } from '../../planner/plan';
import type { Planner } from '../../planner/planner';
import type { DecodedVideo } from '../../planner/stages/decode';

/** One imagined frame per future chunk: the last frame each chunk decodes to, with its time after the input frame. */
export function futureFrames(
  video: DecodedVideo,
  plan: Pick<Plan, 'referenceChunks' | 'futureOffsets'>,
): FutureFrame[] {
  const times = futureChunkTimes(plan.futureOffsets);
  // Latent 0 decodes to frame 0, latent t ≥ 1 to frames 4t − 3 … 4t.
  return times.map((timeS, i) => ({
    width: video.width,
    height: video.height,
    rgb: video.frames[4 * (plan.referenceChunks + i)]!,
    timeS,
  }));
}

/**
 * The plan's imagined future as a sensor_msgs/CompressedImage stamped with the plan's input frame, in the
 * camera's frame. Decoding shares the inference worker with planning: call it after the plan went out.
 */
export async function previewMessage(
  planner: Pick<Planner, 'decodeFuture'>,
  plan: Plan,
  options: { frameId: string; jpegQuality: number; columns?: number },
): Promise<CompressedImage> {
  const frames = futureFrames(await planner.decodeFuture(plan), plan);
  // Tiles in time order, row-major, 4 wide: +1, +2, +5, +8 s on top, +11 … +20 s below, each labelled.
  const data = await encodeFutureFrames(frames, {
    columns: options.columns ?? 4,
    jpegQuality: options.jpegQuality,
  });
  return { header: { stamp: nsToStamp(plan.inputStampNs), frame_id: options.frameId }, format: 'jpeg', data };
}
