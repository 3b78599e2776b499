/**
 * The bounds of a navigation instruction, applied wherever one enters the system (the CLI's --instruction, the
 * planner node's /svnav/instruction topic). Pure: no I/O.
 *
 * - Terminal escape sequences (ESC …), other control characters (C0, DEL, C1) and bidirectional overrides are
 *   removed, so an instruction can neither repaint a terminal nor hide text when it is echoed or logged; tabs
 *   and line breaks become spaces, runs of spaces one.
 * - Empty or whitespace-only instructions are refused: there is nothing to plan for.
 * - At most MAX_INSTRUCTION_CHARS characters (code points, so at most 4000 bytes of UTF-8): the text encoder
 *   reads a few hundred tokens at most, and a longer text is a mistake (a pasted file), not an instruction.
 * - Unpaired UTF-16 surrogates are refused: they have no UTF-8 form and would be recorded as U+FFFD.
 */
export const MAX_INSTRUCTION_CHARS = 1000;

export class InstructionError extends Error {
  override readonly name = 'InstructionError';
}

export interface CleanInstruction {
  readonly text: string;
  /** Control or escape characters that were removed (0 when the text was clean). */
  readonly removed: number;
}

// CSI / OSC / other ESC sequences first (as whole sequences), then any remaining control or bidi characters.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const ESCAPE_SEQUENCE = /\u001b(?:\[[0-?]*[ -/]*[@-~]|\][^\u0007\u001b]*(?:\u0007|\u001b\\)?|[@-Z\\-_])/g;
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
const LINE_SPACE = /[\t\n\r\u2028\u2029]/g;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Cleans `raw` to a plannable instruction or throws an InstructionError naming what is wrong. */
export function cleanInstruction(raw: string): CleanInstruction {
  if (LONE_SURROGATE.test(raw)) {
    throw new InstructionError('the instruction holds an unpaired UTF-16 surrogate (not valid text)');
  }
  const chars = [...raw].length;
  if (chars > MAX_INSTRUCTION_CHARS * 4) {
    // Refuse before doing any work on a pasted file.
    throw new InstructionError(tooLong(chars));
  }
  let removed = 0;
  const count = (): string => {
    removed++;
    return '';
  };
  const text = raw
    .replace(ESCAPE_SEQUENCE, count)
    .replace(LINE_SPACE, ' ')
    .replace(CONTROL, count)
    .replace(/ {2,}/g, ' ')
    .trim();
  if (text.length === 0) {
    throw new InstructionError(
      raw.trim().length === 0
        ? 'the instruction is empty: say where to go, e.g. "walk forward to find a wooden chair"'
        : 'the instruction holds only control or escape characters',
    );
  }
  const length = [...text].length;
  if (length > MAX_INSTRUCTION_CHARS) throw new InstructionError(tooLong(length));
  return { text, removed };
}

function tooLong(chars: number): string {
  return `the instruction is ${chars} characters long; at most ${MAX_INSTRUCTION_CHARS} are accepted`;
}
