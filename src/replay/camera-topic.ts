import type { BagTopic } from '../bag/reader';
import type { CameraConfig } from '../config/schema';
import { RosTypes } from '../messages/ros';

/** A bag cannot be replayed as asked (no camera topic, an ambiguous one); nothing has been written yet. */
export class ReplayInputError extends Error {
  override readonly name = 'ReplayInputError';
}

export const IMAGE_TYPES: readonly string[] = [RosTypes.Image, RosTypes.CompressedImage];

/** The well-known topic of both fixtures, the demo bag and the camera relay. */
export const DEFAULT_COMPRESSED_CAMERA_TOPIC = '/camera/image_raw/compressed';

export interface CameraChoice {
  readonly topic: string;
  readonly type: CameraConfig['type'];
  /** How it was chosen, for the log and the report. */
  readonly how: 'configured' | 'detected';
}

function describeImageTopics(topics: readonly BagTopic[]): string {
  const images = topics.filter((t) => IMAGE_TYPES.includes(t.type));
  return images.length === 0
    ? 'the bag has no image topics'
    : `image topics in the bag: ${images.map((t) => `${t.name} (${t.type}, ${t.count} messages)`).join(', ')}`;
}

/**
 * The camera to replay: the configured topic when the configuration was given explicitly (it must be in the
 * bag with an image type); otherwise the configured default if the bag has it, else the well-known compressed
 * topic, else the bag's only image topic. Anything else is a ReplayInputError naming what was expected and
 * listing the bag's image topics.
 */
export function chooseCameraTopic(
  bag: string,
  topics: readonly BagTopic[],
  camera: Pick<CameraConfig, 'topic' | 'type'>,
  explicit: boolean,
): CameraChoice {
  const usable = topics.filter((t) => IMAGE_TYPES.includes(t.type) && t.count > 0);
  const byName = (name: string) => usable.find((t) => t.name === name);
  const pick = (t: BagTopic, how: CameraChoice['how']): CameraChoice => ({
    topic: t.name,
    type: t.type as CameraConfig['type'],
    how,
  });
  const configured = byName(camera.topic);
  if (explicit) {
    if (configured) return pick(configured, 'configured');
    throw new ReplayInputError(
      `${bag}: no camera messages on the configured topic ${camera.topic} (${camera.type}); ${describeImageTopics(topics)}`,
    );
  }
  const detected =
    configured ?? byName(DEFAULT_COMPRESSED_CAMERA_TOPIC) ?? (usable.length === 1 ? usable[0] : undefined);
  if (detected) return pick(detected, 'detected');
  const expected = `${camera.topic} or ${DEFAULT_COMPRESSED_CAMERA_TOPIC}`;
  const hint = usable.length > 1 ? '; choose one with --camera-topic or camera.topic in --config' : '';
  throw new ReplayInputError(`${bag}: no camera topic ${expected}; ${describeImageTopics(topics)}${hint}`);
}
