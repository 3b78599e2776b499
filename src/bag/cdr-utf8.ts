/**
 * UTF-8-correct CDR strings. @foxglove/cdr 3.5's `CdrWriter.string` writes `value.length` (UTF-16 code units)
 * as the length and reserves that many bytes, so any non-ASCII text loses its tail (and the terminator lands
 * inside it): "向前走，找到一把木椅子" is recorded as "向前走，找到\0". Fixed upstream (foxglove/cdr PR #35) but not
 * released to npm; until it is, every CdrWriter in this process writes the UTF-8 byte length. The replacement is
 * installed only when a probe shows the bug, so a fixed release is used as it is.
 */
import { CdrWriter } from '@foxglove/cdr';

const encoder = new TextEncoder();

function writesUtf8Length(): boolean {
  const probe = new CdrWriter({ size: 16 });
  probe.string('é');
  // 4 header + 4 length + 2 bytes of UTF-8 + terminator.
  return probe.data.byteLength === 11 && new DataView(probe.data.buffer).getUint32(4, true) === 3;
}

function utf8String(this: CdrWriter, value: string, writeLength = true): CdrWriter {
  const bytes = encoder.encode(value);
  if (writeLength) this.uint32(bytes.length + 1);
  this.uint8Array(bytes, false);
  this.uint8(0);
  return this;
}

let installed: boolean | undefined;

/** Makes CdrWriter.string write UTF-8 byte lengths if it does not already; idempotent. True if a fix was needed. */
export function ensureUtf8CdrStrings(): boolean {
  if (installed === undefined) {
    installed = !writesUtf8Length();
    if (installed) CdrWriter.prototype.string = utf8String;
  }
  return installed;
}

ensureUtf8CdrStrings();
