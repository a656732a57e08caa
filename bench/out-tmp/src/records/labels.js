// DNS label mangling, exactly as mesos-dns's records/labels (docs/naming.md): task,
// framework, DiscoveryInfo, port and protocol names become labels. These outputs are the names
// clients query, so every quirk (the refill after a cut, digits kept under RFC 1123) is kept.
const DASH = 45; // '-'
function isDash(c) {
    return c === DASH;
}
function isDashOrDigit(c) {
    return c === DASH || (c >= 48 && c <= 57);
}
/** RFC 1123 §2.1 host name label: [a-z0-9-], at most 63 characters, no dash at either end. */
export const rfc1123Label = (name) => trimCut(mapChars(name), 63, isDash, isDash);
/** RFC 952 label: at most 24 characters, starts with a letter, no trailing dash. */
export const rfc952Label = (name) => trimCut(mapChars(name), 24, isDashOrDigit, isDash);
/** The label function mesos-dns picks: RFC 1123 by default, RFC 952 with EnforceRFC952. */
export function labelFunc(enforceRFC952) {
    return enforceRFC952 ? rfc952Label : rfc1123Label;
}
/**
 * The label function for a table build, where names repeat (every instance of an app has its
 * app's task name): a name that is a label already comes back as it is after one scan, with no
 * lookup (nearly every name); any other is sanitised once and remembered.
 */
export function cachedLabelFunc(enforceRFC952) {
    const label = labelFunc(enforceRFC952);
    const maxlen = enforceRFC952 ? 24 : 63;
    const badFirst = enforceRFC952 ? isDashOrDigit : isDash;
    const seen = new Map();
    return (name) => {
        if (isLabelAsIs(name, maxlen, badFirst))
            return name;
        let l = seen.get(name);
        if (l === undefined)
            seen.set(name, (l = label(name)));
        return l;
    };
}
/** Whether the label function returns `s` unchanged: [a-z0-9-] only, short enough, clean ends. */
function isLabelAsIs(s, maxlen, badFirst) {
    const n = s.length;
    if (n === 0)
        return true;
    if (n > maxlen || badFirst(s.charCodeAt(0)) || s.charCodeAt(n - 1) === DASH)
        return false;
    for (let i = 0; i < n; i++) {
        const c = s.charCodeAt(i);
        if (!((c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === DASH))
            return false;
    }
    return true;
}
/**
 * Each `.`-separated part labelled on its own, empty results dropped, joined with `.`: framework
 * names keep their dots as label separators (`marathon.prod` -> two labels).
 */
export function domainFrag(name, label) {
    let out = '';
    for (const part of name.split('.')) {
        const l = label(part);
        if (l === '')
            continue;
        out = out === '' ? l : `${out}.${l}`;
    }
    return out;
}
/**
 * A-Z -> a-z; a-z and 0-9 kept; `-`, `.` and `_` -> `-`; every other code unit (space, `$`,
 * anything non-ASCII) is deleted.
 */
function mapChars(s) {
    // Most names are already clean: return them without building a new string.
    let i = 0;
    for (; i < s.length; i++) {
        const c = s.charCodeAt(i);
        if (!((c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === DASH))
            break;
    }
    if (i === s.length)
        return s;
    let out = s.slice(0, i);
    for (; i < s.length; i++) {
        const c = s.charCodeAt(i);
        if ((c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === DASH)
            out += s[i];
        else if (c >= 65 && c <= 90)
            out += String.fromCharCode(c + 32);
        else if (c === 46 || c === 95)
            out += '-';
    }
    return out;
}
/**
 * Strip `left` characters from the front, cut at maxlen, strip `right` characters from the end of
 * the cut. If that stripping shortened the head, refill it from what followed the cut (with its
 * leading `right` characters removed). The refill is not stripped again, as in mesos-dns.
 */
function trimCut(s, maxlen, left, right) {
    let start = 0;
    while (start < s.length && left(s.charCodeAt(start)))
        start++;
    const trim = start === 0 ? s : s.slice(start);
    const size = Math.min(trim.length, maxlen);
    let headEnd = size;
    while (headEnd > 0 && right(trim.charCodeAt(headEnd - 1)))
        headEnd--;
    if (headEnd === size)
        return size === trim.length ? trim : trim.slice(0, size);
    const head = trim.slice(0, headEnd);
    let tailStart = size;
    while (tailStart < trim.length && right(trim.charCodeAt(tailStart)))
        tailStart++;
    if (tailStart === trim.length)
        return head;
    return head + trim.slice(tailStart, tailStart + (size - headEnd));
}
