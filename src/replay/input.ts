import { openBag, type BagReader } from '../bag/reader';
import type { SvnavConfig } from '../config/schema';
import { samePath } from '../io/output';
import type { TimeNs } from '../messages/time';
import { chooseCameraTopic, ReplayInputError, type CameraChoice } from './camera-topic';
import type { ReplayFiles, ReplayTask } from './options';

/** The opened input bag with what the replay takes from it: its time span, the camera, the resulting config. */
export interface ReplayInput {
  readonly reader: BagReader;
  readonly startNs: TimeNs;
  readonly endNs: TimeNs;
  readonly camera: CameraChoice;
  /** The given configuration with the chosen camera and the instruction filled in. */
  readonly config: SvnavConfig;
}

/**
 * Opens the input bag and checks it can be replayed: it holds messages, and a camera topic in CDR. Refusals are
 * ReplayInputErrors (or BagErrors) naming the bag; the reader is closed again when one is thrown.
 */
export async function openReplayInput(
  options: ReplayFiles & ReplayTask,
  warn: (message: string) => void,
): Promise<ReplayInput> {
  if (samePath(options.input, options.output)) {
    throw new ReplayInputError(`the output ${options.output} is the input bag; write the output elsewhere`);
  }
  const reader = await openBag(options.input, { onWarning: (w) => warn(w.message) });
  try {
    return inputFrom(reader, options);
  } catch (err) {
    await reader.close();
    throw err;
  }
}

function inputFrom(reader: BagReader, options: ReplayFiles & ReplayTask): ReplayInput {
  const startNs = reader.startTimeNs;
  const endNs = reader.endTimeNs;
  if (startNs === undefined || endNs === undefined) {
    throw new ReplayInputError(
      `${options.input}: the bag holds no messages${reader.damage ? ` (${reader.damage.message})` : ''}`,
    );
  }
  const camera = chooseCameraTopic(
    options.input,
    reader.topics(),
    { ...options.config.camera, ...(options.cameraTopic ? { topic: options.cameraTopic } : {}) },
    options.configFromFile === true || options.cameraTopic !== undefined,
  );
  const cameraEncoding = reader.topics().find((t) => t.name === camera.topic)?.messageEncoding;
  if (cameraEncoding !== 'cdr') {
    throw new ReplayInputError(
      `${options.input}: camera topic ${camera.topic} has message encoding '${cameraEncoding}' ` +
        `(written by ${reader.library || 'an unknown tool'}); svnav replays CDR-encoded rosbag2 bags`,
    );
  }
  const config: SvnavConfig = {
    ...options.config,
    camera: { ...options.config.camera, topic: camera.topic, type: camera.type },
    planner: { ...options.config.planner, instruction: options.instruction },
  };
  return { reader, startNs, endNs, camera, config };
}
