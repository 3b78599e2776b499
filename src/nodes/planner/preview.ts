import { encodeFutureTiles, framesFromChunks } from '../../viz/future-tiles';
import type { CompressedImage } from '../../messages/ros';
import { nsToStamp } from '../../messages/time';
import type { Plan } from '../../planner/plan';
import type { Planner } from '../../planner/planner';

/**
 * The plan's imagined future as a sensor_msgs/CompressedImage stamped with the plan's input frame, in the
 * camera's frame. Decoding shares the inference worker with planning: call it after the plan went out.
 */
export async function previewMessage(
  planner: Pick<Planner, 'decodePreview'>,
  plan: Plan,
  options: { frameId: string; jpegQuality: number; columns?: number },
): Promise<CompressedImage> {
  const decoded = await planner.decodePreview(plan.futureLatents, plan.futureDims);
  // Tiles in time order, row-major, 4 wide: +1, +2, +5, +8 s on top, +11 … +20 s below, each labelled.
  const data = await encodeFutureTiles(framesFromChunks(decoded.rgb, decoded.dims), {
    columns: options.columns ?? 4,
    labels: plan.futureOffsets.map((o) => `+${o} s`),
    jpegQuality: options.jpegQuality,
  });
  return { header: { stamp: nsToStamp(plan.inputStampNs), frame_id: options.frameId }, format: 'jpeg', data };
}
