import type { SvnavConfig } from '../../config/schema';
import { Planner, type PlannerOptions } from '../../planner/planner';
import type { Transport } from '../../transport/transport';
import { PlannerNode } from './node';

/** `Planner.load`'s options from the configuration. */
export function plannerOptions(config: SvnavConfig, log: (line: string) => void): PlannerOptions {
  const p = config.planner;
  return {
    modelDir: config.model.dir,
    providers: config.model.execution_providers,
    intraOpThreads: config.model.intra_op_threads,
    samplerSteps: p.sampler_steps,
    actionSource: p.action_source,
    ddimSteps: p.ddim_steps,
    seed: p.seed,
    log,
  };
}

/**
 * The planner as the `svnav node planner` entry point runs it (`start()` synchronous, `stop()` async): start
 * loads the model (seconds to a minute), then starts the node. Until then no heartbeat goes out, so a controller
 * holds the robot (heartbeat lost). A model that fails to load is logged as an error naming the directory and
 * the node never starts; the process stays up so the failure is visible rather than a restart loop.
 */
export class PlannerNodeEntry {
  readonly #transport: Transport;
  readonly #config: SvnavConfig;
  #node: PlannerNode | undefined;
  #planner: Planner | undefined;
  #stopped = false;
  /** Resolves when loading has finished (successfully or not). */
  ready: Promise<void> = Promise.resolve();

  constructor(transport: Transport, config: SvnavConfig) {
    this.#transport = transport;
    this.#config = config;
  }

  get node(): PlannerNode | undefined {
    return this.#node;
  }

  start(): void {
    const log = this.#transport.log;
    this.ready = Planner.load(plannerOptions(this.#config, (line) => log.info(`planner: ${line}`))).then(
      ({ planner, report }) => {
        if (this.#stopped) return planner.close();
        log.info(
          `planner: model ${this.#config.model.dir} loaded; warm-up plan ${report.warmup.totalMs.toFixed(0)} ms`,
        );
        this.#planner = planner;
        this.#node = new PlannerNode(this.#transport, this.#config, planner);
        this.#node.start();
      },
      (err: unknown) => {
        log.error(
          `planner: cannot load the model ${this.#config.model.dir}: ${err instanceof Error ? err.message : String(err)}`,
        );
      },
    );
  }

  async stop(reason = 'node stopped'): Promise<void> {
    this.#stopped = true;
    await this.ready;
    await this.#node?.stop(reason);
    await this.#planner?.close();
  }
}
