// Names in a zone file (RFC 1035 §5.1): `@` is the origin, a name ending in an unescaped dot is
// absolute, any other is relative to the origin. Pure.
//
// Every name leaves here in the project's canonical presentation form (dns/wire/name-wire.ts):
// absolute with a trailing dot, A-Z folded to a-z (RFC 4034 §6.2), and every octet that is not
// printable ASCII, '.' or '\' inside a label written as `\DDD`. So "Www", "w\087w" and "\119ww"
// are one key, the same one a query for that name is looked up with.
import { unescape } from './zone-lexer.js';

const MAX_LABEL = 63;
/** Labels of characters that stand for themselves in canonical form, joined by single dots. */
const PLAIN = /^[A-Za-z0-9_*+-]+(?:\.[A-Za-z0-9_*+-]+)*$/;
const MAX_NAME = 255;

/** Splits presentation text on unescaped dots into raw labels (escapes kept). */
function splitLabels(text: string): string[] | undefined {
  const labels: string[] = [];
  let cur = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\\') {
      if (i + 1 >= text.length) return undefined;
      cur += c + text[i + 1];
      i++;
    } else if (c === '.') {
      if (cur === '') return undefined; // empty label: "a..b" or ".a"
      labels.push(cur);
      cur = '';
    } else {
      cur += c;
    }
  }
  if (cur !== '') labels.push(cur);
  return labels;
}

function renderLabel(bytes: Buffer): string {
  let out = '';
  for (const raw of bytes) {
    const b = raw >= 0x41 && raw <= 0x5a ? raw + 0x20 : raw;
    if (b > 0x20 && b < 0x7f && b !== 0x2e && b !== 0x5c) out += String.fromCharCode(b);
    else out += '\\' + String(b).padStart(3, '0');
  }
  return out;
}

/** Whether the text ends in a dot that is not escaped (an absolute name). */
function isAbsolute(text: string): boolean {
  if (!text.endsWith('.')) return false;
  let slashes = 0;
  for (let i = text.length - 2; i >= 0 && text[i] === '\\'; i--) slashes++;
  return slashes % 2 === 0;
}

/**
 * `text` (as written in the file) as a canonical absolute name, relative names completed with
 * `origin` (itself canonical, e.g. "example.com."); a reason string when it is not a valid name.
 */
export function qualify(text: string, origin: string): { name: string } | { reason: string } {
  if (text === '@') return { name: origin };
  if (text === '.') return { name: '.' };
  const full = isAbsolute(text) ? text.slice(0, -1) : origin === '.' ? text : `${text}.${origin.slice(0, -1)}`;
  // Most names are plain host names: lower-casing is then all there is to do (a zone of 100,000
  // names spends most of its parse here otherwise).
  if (PLAIN.test(full) && full.length <= MAX_NAME - 2 && full.split('.').every((l) => l.length <= MAX_LABEL)) return { name: `${full.toLowerCase()}.` };
  const labels = splitLabels(full);
  if (labels === undefined || labels.length === 0) return { reason: `"${text}" is not a valid domain name (empty label)` };
  let octets = 1;
  const out: string[] = [];
  for (const label of labels) {
    const bytes = unescape(label);
    if (bytes === undefined) return { reason: `"${text}" has a bad \\DDD escape` };
    if (bytes.length > MAX_LABEL) return { reason: `"${text}" has a label over ${MAX_LABEL} octets` };
    octets += bytes.length + 1;
    out.push(renderLabel(bytes));
  }
  if (octets > MAX_NAME) return { reason: `"${text}" is over ${MAX_NAME} octets` };
  return { name: out.join('.') + '.' };
}

/** Whether canonical `name` is `zone` or below it (both canonical, absolute). */
export function isInZone(name: string, zone: string): boolean {
  return zone === '.' || name === zone || name.endsWith(`.${zone}`);
}

/** The canonical name's labels from the right, each as bytes (RFC 4034 §6.1 ordering). */
export function labelsFromRight(name: string): Buffer[] {
  if (name === '.') return [];
  const labels = splitLabels(name.slice(0, -1)) ?? [];
  return labels.map((l) => unescape(l) ?? Buffer.alloc(0)).reverse();
}

/** RFC 4034 §6.1 canonical order of two canonical (lower-case) names: -1, 0 or 1. */
export function compareCanonical(a: string, b: string): number {
  if (a === b) return 0;
  const la = labelsFromRight(a);
  const lb = labelsFromRight(b);
  for (let i = 0; i < Math.min(la.length, lb.length); i++) {
    const c = Buffer.compare(la[i], lb[i]);
    if (c !== 0) return c;
  }
  return la.length === lb.length ? 0 : la.length < lb.length ? -1 : 1;
}
