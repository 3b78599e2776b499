/**
 * The one exit-status contract of every svnav command (also in `svnav --help` and the README):
 *
 *   0    done
 *   1    done, but the input was damaged or unusable in part: the outputs hold what could be used and the
 *        report says what was not (a corrupt chunk, undecodable messages, no plan could be made)
 *   2    refused: nothing was done and nothing written (usage, an unreadable or unsupported input, a bad
 *        configuration or model, an instruction out of bounds, an output path that may not be written)
 *   3    failed while running (an I/O error such as a full disk, an inference failure): no partial output
 *        is left under the output's name
 *   128+N  ended by signal N (130 SIGINT, 143 SIGTERM, 129 SIGHUP): outputs finished and indexed, report written
 */
export const EXIT = {
  ok: 0,
  damagedInput: 1,
  refused: 2,
  failed: 3,
} as const;

export const SIGNAL_NUMBERS = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 } as const;
export type ShutdownSignal = keyof typeof SIGNAL_NUMBERS;

export function exitForSignal(signal: ShutdownSignal): number {
  return 128 + SIGNAL_NUMBERS[signal];
}

/** The contract as `--help` prints it. */
export const EXIT_STATUS_HELP = `
Exit status (every command):
  0        done
  1        done, but the input was damaged or partly unusable (outputs and report say what)
  2        refused before doing anything; nothing written (usage, input, config, model, output path)
  3        failed while running; no partial output left under the output's name
  128+N    stopped by signal N (130 SIGINT, 129 SIGHUP, 143 SIGTERM); outputs finished and indexed
`;

/** A refusal with a message for the user (exit status 2 unless said otherwise). */
export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    message: string,
    readonly exitCode: number = EXIT.refused,
  ) {
    super(message);
  }
}
