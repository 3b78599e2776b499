import type { Logger } from '../transport/transport';

const MAX_WARNINGS = 50;

/**
 * The warnings of one replay: each goes to the log, the first ones also into the report (a damaged bag can warn
 * once per message, and the report must stay readable).
 */
export class ReplayWarnings {
  readonly #log: Logger;
  readonly #list: string[] = [];

  constructor(log: Logger) {
    this.#log = log;
  }

  /** What the report shows, in order. */
  get list(): readonly string[] {
    return this.#list;
  }

  readonly warn = (message: string): void => {
    this.#log.warn(message);
    if (this.#list.length < MAX_WARNINGS) this.#list.push(message);
    else if (this.#list.length === MAX_WARNINGS) this.#list.push('… further warnings only in the log');
  };

  /** The nodes' logger: their warnings and errors (a bad frame, a stuck episode) also go into the report. */
  nodeLogger(): Logger {
    const log = this.#log;
    return {
      debug: (m) => log.debug(m),
      info: (m) => log.info(m),
      warn: this.warn,
      error: (m) => {
        log.error(m);
        if (this.#list.length < MAX_WARNINGS) this.#list.push(`error: ${m}`);
      },
    };
  }
}
