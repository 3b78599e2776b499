import he from 'he';

/*
 * The release's text cleaning before tokenization (OFFICIAL.md §3, `clean='whitespace'`): ftfy.fix_text, HTML
 * unescape twice, strip, every whitespace run → one space, strip.
 *
 * `fixText` implements the parts of ftfy.fix_text (ftfy 6 defaults) that can change an instruction typed or
 * pasted by a person: terminal escapes, the commonest mojibake (UTF-8 read as Windows-1252/Latin-1, e.g. "cafÃ©"),
 * C1 controls, Latin ligatures, full-width characters, curly quotes, line breaks, control characters, lone
 * surrogates, and NFC. Not covered: ftfy's statistical "badness" heuristic for partial or mixed mojibake, and its
 * rarer encodings (MacRoman, cp437, Windows-1251 …) — such text passes through unchanged. HTML entities use the
 * HTML5 table (the `he` package, the same table and legacy no-semicolon rules as Python's html.unescape; one
 * difference: numeric references to non-characters are kept where Python drops them).
 */

/** The full cleaning the release applies to an instruction before tokenizing it. */
export function cleanInstruction(text: string): string {
  const basic = pyStrip(htmlUnescape(htmlUnescape(fixText(text))));
  return pyStrip(basic.replace(PY_WHITESPACE_RUN, ' '));
}

/** Python's html.unescape: every HTML5 character reference, legacy names without `;` included. */
export function htmlUnescape(text: string): string {
  return text.includes('&') ? he.decode(text) : text;
}

/** Python's `\s` / str.isspace on str (JavaScript's `\s` differs: it has U+FEFF, lacks U+001C–U+001F, U+0085). */
const PY_WHITESPACE =
  '\\t\\n\\v\\f\\r \\u001c-\\u001f\\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const PY_WHITESPACE_RUN = new RegExp(`[${PY_WHITESPACE}]+`, 'gu');
const PY_STRIP = new RegExp(`^[${PY_WHITESPACE}]+|[${PY_WHITESPACE}]+$`, 'gu');

function pyStrip(text: string): string {
  return text.replace(PY_STRIP, '');
}

/** The subset of ftfy.fix_text described above, applied in ftfy's order. */
export function fixText(text: string): string {
  // ftfy unescapes entities itself unless the text looks like HTML (has '<'): only complete `&…;` references.
  let t = text.includes('<') ? text : text.replace(/&#?[0-9A-Za-z]{1,24};/gu, (e) => he.decode(e));
  t = t.replace(TERMINAL_ESCAPE, '');
  t = fixMojibake(t);
  t = t.replace(/[\u0080-\u009f]/gu, (c) => c1ToWindows1252(c));
  t = t.replace(LIGATURE_RE, (c) => LIGATURES[c] ?? c);
  t = t.replace(/[\u3000\uff01-\uffef]/gu, (c) => (c === '\u3000' ? ' ' : c.normalize('NFKC')));
  t = t.replace(/[\u02bc\u2018-\u201b]/gu, "'").replace(/[\u201c-\u201f]/gu, '"');
  t = t.replace(/\r\n|[\r\u2028\u2029\u0085]/gu, '\n');
  t = t.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');
  t = t.replace(CONTROL_CHARS, '');
  return t.normalize('NFC');
}

// Matching control characters is the point of these two patterns.
// eslint-disable-next-line no-control-regex
const TERMINAL_ESCAPE = /\u001b\[((?:\d|;)*)([a-zA-Z])/gu;

/** ftfy's remove_control_chars: C0 controls except \t \n \f \r, DEL, deprecated format chars, BOM, annotations. */
// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u0008\u000b\u000e-\u001f\u007f\u206a-\u206f\ufeff\ufff9-\ufffc]/gu;

const LIGATURES: Record<string, string> = {
  Ĳ: 'IJ',
  ĳ: 'ij',
  ŉ: 'ʼn',
  Ǆ: 'DŽ',
  ǅ: 'Dž',
  ǆ: 'dž',
  Ǉ: 'LJ',
  ǈ: 'Lj',
  ǉ: 'lj',
  Ǌ: 'NJ',
  ǋ: 'Nj',
  ǌ: 'nj',
  Ǳ: 'DZ',
  ǲ: 'Dz',
  ǳ: 'dz',
  ﬀ: 'ff',
  ﬁ: 'fi',
  ﬂ: 'fl',
  ﬃ: 'ffi',
  ﬄ: 'ffl',
  ﬅ: 'ſt',
  ﬆ: 'st',
};
const LIGATURE_RE = new RegExp(`[${Object.keys(LIGATURES).join('')}]`, 'gu');

/** Windows-1252's printable characters in 0x80–0x9F (the rest of the byte range maps to Latin-1). */
const CP1252_HIGH = '€\u0081‚ƒ„…†‡ˆ‰Š‹Œ\u008dŽ\u008f\u0090‘’“”•–—˜™š›œ\u009džŸ';

function c1ToWindows1252(c: string): string {
  const ch = CP1252_HIGH[c.charCodeAt(0) - 0x80]!;
  return ch.charCodeAt(0) >= 0x80 && ch.charCodeAt(0) <= 0x9f ? c : ch;
}

/** Byte of a character in Windows-1252 (with Latin-1 for its 5 holes), or -1 when it has none. */
function windows1252Byte(c: string): number {
  const code = c.charCodeAt(0);
  if (code < 0x80 || (code >= 0xa0 && code <= 0xff)) return code;
  const i = CP1252_HIGH.indexOf(c);
  return i >= 0 ? 0x80 + i : -1;
}

/**
 * Text whose characters all encode to Windows-1252 and whose bytes then form valid UTF-8 with at least one
 * multi-byte sequence was UTF-8 read as Windows-1252: decode it back. A run of such characters is required to
 * start with a UTF-8 lead byte character (Â–ô) followed by a continuation character, so ordinary accented text
 * ("café", "Ä") never matches.
 */
function fixMojibake(text: string): string {
  if (!MOJIBAKE_HINT.test(text)) return text;
  const bytes: number[] = [];
  for (const c of text) {
    const b = windows1252Byte(c);
    if (b < 0) return text;
    bytes.push(b);
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Uint8Array.from(bytes));
  } catch {
    return text;
  }
}

const MOJIBAKE_HINT = /[\u00c2-\u00f4][\u0080-\u00bf€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ]/u;
