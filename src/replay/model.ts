import type { SvnavConfig } from '../config/schema';
import { ManifestError } from '../model/manifest';
import { plannerOptions } from '../nodes/planner/entry';
import { Planner } from '../planner/planner';
import type { Logger } from '../transport/transport';
import { ReplayInputError } from './camera-topic';

/** The planner a replay runs, and whether the replay loaded it (then it closes it, and knows its warm-up). */
export interface ReplayModel {
  readonly planner: Planner;
  /** Set when the replay loaded the planner itself. */
  readonly owned: Planner | undefined;
  /** The warm-up plan's latency, when the replay loaded the planner. */
  readonly measuredMs: number | undefined;
}

/**
 * The lent planner, or the configured model loaded now. An untrained model is refused unless the configuration
 * allows it; a loaded planner is closed again when it is refused.
 */
export async function replayModel(
  lent: Planner | undefined,
  config: SvnavConfig,
  log: Logger,
): Promise<ReplayModel> {
  const model = lent
    ? { planner: lent, owned: undefined, measuredMs: undefined }
    : await loadModel(config, log);
  const { provenance } = model.planner;
  if (provenance.untrained && !config.model.allow_untrained) {
    await model.owned?.close();
    throw new ReplayInputError(
      `model ${config.model.dir} is untrained (seeded ${provenance.seededNetworks.join(', ')}); ` +
        'pass --allow-untrained (or model.allow_untrained) to replay it anyway',
    );
  }
  return model;
}

/** Loads the configured model; a model directory that cannot be used is an input error naming it. */
async function loadModel(config: SvnavConfig, log: Logger): Promise<ReplayModel> {
  try {
    const { planner, report } = await Planner.load(
      plannerOptions(config, (line) => log.info(`planner: ${line}`)),
    );
    return { planner, owned: planner, measuredMs: report.warmup.totalMs };
  } catch (err) {
    if (err instanceof ManifestError) throw new ReplayInputError(`model: ${err.message}`, { cause: err });
    throw err;
  }
}
