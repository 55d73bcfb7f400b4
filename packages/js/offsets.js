// Offset units. The guest reports offsets in any unit (it converts from its UTF-8 bytes), but
// `transform` takes byte offsets, so findings in UTF-16 or code point offsets are converted back
// here, in one pass over the text for all of them.
//
// The guest sees the UTF-8 encoding of the JS string (TextEncoder: a lone surrogate becomes
// U+FFFD, 3 bytes, still one UTF-16 unit and one code point), so the walk below counts the same.

/** The offset units, as the API spells them, mapped to the WIT `offset-unit` enum. */
export const UNITS = Object.freeze({ utf16: 'utf16', codepoint: 'codepoint', byte: 'byte' });

/** Validates an `options.unit`; undefined means UTF-16 (JS string indices). */
export function unitOf(unit) {
  if (unit === undefined || unit === null) return 'utf16';
  if (typeof unit === 'string' && Object.hasOwn(UNITS, unit)) return UNITS[unit];
  throw new TypeError(`unit must be one of ${Object.keys(UNITS).join(', ')}, not ${JSON.stringify(unit)}`);
}

/**
 * Maps offsets in `unit` of `text` to UTF-8 byte offsets. An offset that is not on a character
 * boundary (inside a surrogate pair) maps to a byte offset inside that character, and one past the
 * end to one past the byte length, so the guest skips such a finding exactly as it skips an
 * invalid byte offset.
 *
 * @param {string} text
 * @param {Iterable<number>} offsets
 * @param {'utf16' | 'codepoint'} unit
 * @returns {Map<number, number>}
 */
export function toByteOffsets(text, offsets, unit) {
  const wanted = [...new Set(offsets)].sort((a, b) => a - b);
  const out = new Map();
  let i = 0; // UTF-16 index into text
  let n = 0; // offset in `unit` at i
  let b = 0; // UTF-8 byte offset at i
  for (const t of wanted) {
    while (n < t && i < text.length) {
      const c = text.charCodeAt(i);
      const pair = c >= 0xd800 && c <= 0xdbff && i + 1 < text.length &&
        text.charCodeAt(i + 1) >= 0xdc00 && text.charCodeAt(i + 1) <= 0xdfff;
      if (pair) {
        if (unit === 'utf16' && t === n + 1) break; // t splits the pair
        i += 2;
        n += unit === 'utf16' ? 2 : 1;
        b += 4;
      } else {
        i += 1;
        n += 1;
        b += c < 0x80 ? 1 : c < 0x800 ? 2 : 3;
      }
    }
    if (n === t) out.set(t, b);
    else if (n < t && i >= text.length) out.set(t, b + (t - n)); // past the end
    else out.set(t, b + 1); // inside a surrogate pair: inside its 4 UTF-8 bytes
  }
  return out;
}
