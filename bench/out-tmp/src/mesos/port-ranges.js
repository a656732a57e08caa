// The legacy `resources.ports` text of a /master/state task, `"[31000-31001, 31005-31005]"`,
// expanded to its ports. Also used by the native state reader's JavaScript half (read-state.ts).
/**
 * `"[31000-31001, 31005-31005]"` -> every port of every range, in document order. `""` and `"[]"`
 * give none. Anything malformed (no brackets, a range that is not `lo-hi`, lo > hi, a port above
 * 65535) also gives none: mesos-dns panics or skips there, and one odd task must not cost the
 * whole state.
 */
export function parsePortRanges(text) {
    // Nearly every value is made of brackets, digits, dashes, commas and spaces: read those in
    // one pass; anything else (other whitespace to trim, stray characters) takes the general way.
    const plain = plainPortRanges(text);
    if (plain !== undefined)
        return plain;
    const s = text.trim();
    if (s === '' || s === '[]')
        return [];
    if (!s.startsWith('[') || !s.endsWith(']'))
        return [];
    const ports = [];
    for (const part of s.slice(1, -1).split(',')) {
        const m = /^(\d{1,5})-(\d{1,5})$/.exec(part.trim());
        if (!m)
            return [];
        const lo = Number(m[1]);
        const hi = Number(m[2]);
        if (lo > hi || hi > 65535)
            return [];
        for (let p = lo; p <= hi; p++)
            ports.push(p);
    }
    return ports;
}
const SPACE = 0x20;
const COMMA = 0x2c;
const DASH = 0x2d;
const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;
/**
 * parsePortRanges for `[lo-hi, lo-hi]` written with single spaces at most around the parts, or
 * undefined when the text has anything else (the general parser decides then). Same result as
 * the general parser for every text it accepts.
 */
function plainPortRanges(s) {
    const n = s.length;
    if (n < 2 || s.charCodeAt(0) !== 0x5b || s.charCodeAt(n - 1) !== 0x5d)
        return undefined; // [ ]
    const ports = [];
    let i = 1;
    const end = n - 1;
    if (i === end)
        return ports;
    for (;;) {
        while (i < end && s.charCodeAt(i) === SPACE)
            i++;
        let lo = 0;
        let digits = 0;
        for (let c = s.charCodeAt(i); i < end && c >= DIGIT_0 && c <= DIGIT_9; c = s.charCodeAt(++i)) {
            lo = lo * 10 + (c - DIGIT_0);
            digits++;
        }
        if (digits === 0 || digits > 5)
            return plainOrMalformed(s, i, end);
        if (i >= end || s.charCodeAt(i) !== DASH)
            return plainOrMalformed(s, i, end);
        i++;
        let hi = 0;
        digits = 0;
        for (let c = s.charCodeAt(i); i < end && c >= DIGIT_0 && c <= DIGIT_9; c = s.charCodeAt(++i)) {
            hi = hi * 10 + (c - DIGIT_0);
            digits++;
        }
        if (digits === 0 || digits > 5)
            return plainOrMalformed(s, i, end);
        while (i < end && s.charCodeAt(i) === SPACE)
            i++;
        if (i < end && s.charCodeAt(i) !== COMMA)
            return plainOrMalformed(s, i, end);
        if (lo > hi || hi > 65535)
            return [];
        for (let p = lo; p <= hi; p++)
            ports.push(p);
        if (i === end)
            return ports;
        i++; // the comma
    }
}
/**
 * The plain reader stopped at s[i]: if that is one of its own characters the text is malformed
 * (no ports), otherwise the general parser must look at it (other whitespace may be trimmed).
 */
function plainOrMalformed(s, i, end) {
    for (let k = i; k < end; k++) {
        const c = s.charCodeAt(k);
        if (!(c === SPACE || c === COMMA || c === DASH || (c >= DIGIT_0 && c <= DIGIT_9)))
            return undefined;
    }
    return [];
}
