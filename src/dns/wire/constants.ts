// Sizes fixed by the DNS wire format, in one place for the parser, the encoder, the fast path
// and the TCP framing.

/** The message header: ID, flags and four counts (RFC 1035 §4.1.1); also the smallest message. */
export const HEADER_LENGTH = 12;

/** TYPE, CLASS, TTL and RDLENGTH after an RR's owner name (RFC 1035 §4.1.3). */
export const RR_FIXED_LENGTH = 10;

/** Root owner, TYPE, CLASS, TTL, RDLENGTH 0: the OPT we send carries no options (RFC 6891 §6.1.2). */
export const OPT_LENGTH = 11;

/** The largest message, bounded by TCP's 2-octet length prefix (RFC 1035 §4.2.2). */
export const TCP_MAX = 65535;

/** UDP limit without EDNS (RFC 1035 §4.2.1); also the floor for any advertised size (RFC 6891 §6.2.5). */
export const UDP_MIN = 512;

/** RFC 1035 §2.3.4: a name is at most 255 octets on the wire, a label at most 63. */
export const MAX_NAME_OCTETS = 255;
export const MAX_LABEL_OCTETS = 63;

/** Compression pointers carry a 14-bit offset (RFC 1035 §4.1.4). */
export const MAX_POINTER_OFFSET = 0x3fff;
