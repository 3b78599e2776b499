/** A problem with a bag file or its contents; names the file, and the byte offset where one is known. */
export class BagError extends Error {
  override readonly name = 'BagError';

  constructor(
    message: string,
    readonly file?: string,
    readonly offset?: bigint,
    options?: { cause?: unknown },
  ) {
    const where = file ? ` [${file}${offset !== undefined ? ` at byte ${offset}` : ''}]` : '';
    super(`${message}${where}`, options);
  }
}

/** Describes a caught value for an error message. */
export function describeError(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
