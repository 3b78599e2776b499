import type { ProvenanceSummary } from '../../planner/model-dir';

/** Commands on `planner.command_topic` (std_msgs/String). */
export const PLANNER_COMMANDS = ['start', 'stop', 'cancel'] as const;
export type PlannerCommand = (typeof PLANNER_COMMANDS)[number];

/** A command string, case and surrounding spaces ignored; undefined for anything else. */
export function parseCommand(data: unknown): PlannerCommand | undefined {
  const command = typeof data === 'string' ? data.trim().toLowerCase() : '';
  return (PLANNER_COMMANDS as readonly string[]).includes(command) ? (command as PlannerCommand) : undefined;
}

/**
 * The controller's JSON status (`controller.status_topic`, see ControllerStatus in controller.ts): an arrival
 * carries `stop_reason: { kind: 'arrived', episode_id }`. Returns the arrival, nothing for any other status, or
 * an error for text that is not a status at all.
 */
export function arrivalFromControllerStatus(
  text: string,
): { episodeId: string; detail: string } | { error: string } | undefined {
  let status: unknown;
  try {
    status = JSON.parse(text);
  } catch {
    return { error: `controller status is not JSON: ${JSON.stringify(text.slice(0, 80))}` };
  }
  if (typeof status !== 'object' || status === null) {
    return { error: `controller status is not a JSON object: ${JSON.stringify(text.slice(0, 80))}` };
  }
  const { stop_reason: reason, stop_message: message } = status as {
    stop_reason?: { kind?: unknown; episode_id?: unknown } | null;
    stop_message?: unknown;
  };
  if (reason?.kind !== 'arrived' || typeof reason.episode_id !== 'string') return undefined;
  return {
    episodeId: reason.episode_id,
    detail: `controller: ${typeof message === 'string' ? message : 'arrived'}`,
  };
}

/**
 * Robot mode refuses seeded networks: the refusal (an error naming them) unless `allowUntrained`, in which case
 * a warning for the start-up log; nothing for a trained model.
 */
export function untrainedVerdict(
  provenance: ProvenanceSummary,
  modelDir: string,
  allowUntrained: boolean,
): { refusal: string } | { warning: string } | undefined {
  if (!provenance.untrained) return undefined;
  const seeded = [
    ...provenance.seededNetworks,
    ...provenance.partiallySeeded.map((s) => `${s.network} (${s.parameters} seeded parameters)`),
  ].join(', ');
  if (!allowUntrained) {
    return {
      refusal:
        `REFUSING TO PLAN: model ${modelDir} is untrained (seeded weights in ${seeded}); a robot must not ` +
        'move on random networks. Load trained weights; for tests only, allow it with ' +
        '`ros2 launch sparse_video_nav <file>.launch.py allow_untrained:=true` (or model.allow_untrained: true ' +
        'in a parameter file, or `-p model.allow_untrained:=true`).',
    };
  }
  return {
    warning:
      `WARNING: model ${modelDir} is UNTRAINED (seeded weights in ${seeded}); model.allow_untrained is set, ` +
      'every plan is flagged untrained_model and is meaningless',
  };
}
