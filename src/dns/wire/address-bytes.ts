// Address text from the record table → the RDATA octets of A and AAAA records (RFC 1035 §3.4.1,
// RFC 3596 §2.2). Strict on purpose: the encoder skips a record whose address does not parse
// rather than sending wrong bytes.

/** Dotted quad → 4 octets; undefined unless exactly four decimal parts of 0..255. */
export function ipv4Bytes(text: string): Buffer | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  const out = Buffer.allocUnsafe(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i];
    if (!/^\d{1,3}$/.test(p)) return undefined;
    const v = Number(p);
    if (v > 255) return undefined;
    out[i] = v;
  }
  return out;
}

/**
 * IPv6 text (RFC 4291 §2.2: '::' once at most, an embedded IPv4 tail allowed) → 16 octets.
 * A zone suffix ("%eth0") is dropped: it has no meaning outside the host and no wire form.
 */
export function ipv6Bytes(text: string): Buffer | undefined {
  const percent = text.indexOf('%');
  if (percent >= 0) text = text.slice(0, percent);
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const groups = (s: string): number[] | undefined => {
    if (s === '') return [];
    const out: number[] = [];
    const parts = s.split(':');
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i];
      if (i === parts.length - 1 && p.includes('.')) {
        const v4 = ipv4Bytes(p);
        if (!v4) return undefined;
        out.push((v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]);
      } else if (/^[0-9a-fA-F]{1,4}$/.test(p)) {
        out.push(parseInt(p, 16));
      } else {
        return undefined;
      }
    }
    return out;
  };
  const head = groups(halves[0]);
  const tail = halves.length === 2 ? groups(halves[1]) : [];
  if (!head || !tail) return undefined;
  // An embedded IPv4 tail is only valid at the very end.
  if (halves.length === 2 && halves[0].includes('.')) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const all = halves.length === 2 ? [...head, ...new Array<number>(missing).fill(0), ...tail] : head;
  const out = Buffer.allocUnsafe(16);
  for (let i = 0; i < 8; i++) {
    out[2 * i] = all[i] >> 8;
    out[2 * i + 1] = all[i] & 0xff;
  }
  return out;
}
