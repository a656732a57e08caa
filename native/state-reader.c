// Reads a Mesos /master/state document (JSON bytes) and keeps only the fields DNS needs, without
// building the JavaScript object graph that JSON.parse makes: for a 100,000-task state that graph
// is about 300 MB, and making it, walking it (parse-state.ts) and collecting it was about half of
// a first load. src/mesos/read-state.ts (fromNative) turns the result into the same MasterState.
//
// The contract is narrow on purpose: this reader either returns exactly what
// JSON.parse + parseState would give, or declines (returns a reason string) and the caller runs
// the JavaScript path, which then also produces the precise error message. So it declines on
// anything it does not need to get right itself:
//   - any JSON syntax error (RFC 8259 grammar, as V8's JSON.parse applies it);
//   - a field DNS reads that has the wrong JSON type outside any agent, framework or task (the
//     document's own shape: `leader`, `slaves`, `frameworks`);
//   - a key DNS reads appearing twice in one object (JSON.parse keeps the last one);
//   - an extracted string with invalid UTF-8 or a lone surrogate escape (a JS string can hold
//     the latter, UTF-8 cannot), a number it cannot convert exactly (see read_double), nesting
//     deeper than MAX_DEPTH.
// Values DNS does not read are checked for syntax only. Strings are de-duplicated: the result
// names each distinct string once (task names, agent ids and states repeat across tasks).
//
// A field of the wrong type inside an agent, framework or task (a number where a string goes, a
// status that is not an object, a fractional discovery port; parseState's malformed elements)
// leaves that element out, as parseState does: what it wrote is dropped, the element is passed
// over for syntax only, and `skipped` records where it was. This reader checks some fields
// parseState reads only in some cases (e.g. the labels of a status that is not the newest), so
// read-state.ts has parseState judge each recorded element again from its bytes, and declines
// the document when parseState would have kept one.
//
// Result layout (all Int32 unless said; a string is an index into the string table, -1 for a
// field that is absent or null):
//   leader
//   agents:      per agent  id, hostname, pid
//   frameworks:  per framework  id, name, hostname, pid, task count, then per task
//                id, name, slave_id, state, resources.ports (text left to JavaScript),
//                taskHash(id), flags (1 running status, 2 discovery, 4 the running status has a
//                container_status, 8 resources.ports expanded here, 16 addressing spans), then
//                if expanded:  n, ports...
//                if running:   timestamp index (into `numbers`), healthy (-1 absent, 0, 1),
//                              port mapped (1: the status the network IPs come from has a port
//                              mapping with a host_port, statusPortMapped; else 0),
//                              m, then m port mappings of that status with a container port, a
//                              host port and a protocol: container port, host port, protocol (0
//                              tcp, 1 udp) (statusPortMappings),
//                              n, network IPs..., their n network names (-1: none),
//                              n, Mesos label IPs..., n, Docker label IPs...
//                              (the network IPs are those of the newest RUNNING status that has
//                              any, which may be older than the one the rest comes from)
//                if discovery: name, n, then per port  number, protocol, name
//                if spans:     the texts (string ids) of the task's `labels`, `container` and
//                              `discovery` values (-1 when not given): src/mesos/task-addressing.ts
//                              reads them with JSON.parse, once per distinct text. Given only when
//                              one of them may matter there (addressing_span below; a container
//                              also when it is a DOCKER one or lists network_infos, which keeps the
//                              status's port mappings from counting: container_span).
//   skipped (Float64):  per element left out, in document order  kind (0 agent, 1 framework,
//                2 task), its index in `slaves` or `frameworks`, the task's index in its
//                framework's `tasks` (-1 otherwise), and its first and past-the-end byte offsets
#include <node_api.h>
#include <pthread.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 512

typedef struct { int32_t *v; size_t n, cap; } IntVec;
typedef struct { double *v; size_t n, cap; } DblVec;
typedef struct { uint8_t *v; size_t n, cap; } ByteVec;

/** A decoded string: in the input when it had no escapes, else in a scratch buffer. */
typedef struct { const uint8_t *s; size_t len; int ascii; } Str;

/** The newest-so-far TASK_RUNNING status of the task being read, and the one being read. */
typedef struct {
  int running;
  double timestamp;
  int healthy;
  int has_container;
  int port_mapped;  // a network_infos[].port_mappings[] entry has a host_port (statusPortMapped)
  IntVec maps;      // its usable port mappings (statusPortMappings): container port, host port, protocol (0 tcp, 1 udp)
  IntVec net, mesos, docker;
  IntVec names;  // the network name of each of `net` (-1: none)
} Status;

/**
 * A document that is still arriving (open/push/finish below): the HTTP body is copied into one buffer of its
 * Content-Length as it comes, and the reader runs on its own thread a little behind, so that most
 * of the document is read by the time its last byte arrives.
 */
typedef struct {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  size_t avail;     // bytes of the buffer filled so far
  int eof;          // no more bytes will come
  int cancelled;    // stop reading: the fetch failed (read without the lock: __atomic)
  pthread_t thread;
  int ok;           // the reader's result, once the thread has ended
} Stream;

typedef struct {
  const uint8_t *p, *end;
  const uint8_t *base;  // the start of the document
  Stream *stream;       // NULL when the whole document is there from the start
  jmp_buf fail;
  const char *why;
  int depth;
  jmp_buf *soft;  // where a malformed element goes (element()); NULL outside any element
  DblVec skipped;

  int32_t leader;
  IntVec agents, frameworks;
  DblVec numbers;

  // The string table: bytes, end offsets, ASCII flags, and an open-addressing index of ids.
  ByteVec sbytes;
  IntVec sends;
  ByteVec sascii;
  IntVec shashes;
  int32_t *slots;
  size_t slot_mask;
  size_t indexed;  // entries in the index (task ids and hashes are not: they never repeat)

  ByteVec scratch;  // decoded strings with escapes (keys and values)
  Status cur, best;
  // The network IPs and names of the newest RUNNING status that has any (best_net: one was found).
  int best_net;
  double net_timestamp;
  int net_port_mapped;  // that status's port_mapped
  IntVec net_maps;      // and its maps
  IntVec net, names;
  IntVec ports;     // discovery ports of the task being read: number, protocol, name
  IntVec task_ports;  // resources.ports of the task being read, expanded
} Reader;

static void decline(Reader *r, const char *why) {
  r->why = why;
  longjmp(r->fail, 1);
}

/** A field of the wrong type: its agent, framework or task is left out (element()), else the document is declined. */
static void malformed(Reader *r, const char *why) {
  if (r->soft != NULL) longjmp(*r->soft, 1);
  decline(r, why);
}

// --- growable vectors ------------------------------------------------------------------------

static void *grow(Reader *r, void *v, size_t *cap, size_t need, size_t size) {
  if (need <= *cap) return v;
  size_t cap2 = *cap < 64 ? 64 : *cap;
  while (cap2 < need) cap2 *= 2;
  void *w = realloc(v, cap2 * size);
  if (w == NULL) decline(r, "out of memory");
  *cap = cap2;
  return w;
}

static void int_push(Reader *r, IntVec *a, int32_t x) {
  if (a->n == a->cap) a->v = grow(r, a->v, &a->cap, a->n + 1, sizeof(int32_t));
  a->v[a->n++] = x;
}

static void byte_append(Reader *r, ByteVec *a, const uint8_t *s, size_t len) {
  if (a->n + len > a->cap) a->v = grow(r, a->v, &a->cap, a->n + len, 1);
  if (len > 0) memcpy(a->v + a->n, s, len);
  a->n += len;
}

static void byte_push(Reader *r, ByteVec *a, uint8_t b) {
  if (a->n == a->cap) a->v = grow(r, a->v, &a->cap, a->n + 1, 1);
  a->v[a->n++] = b;
}

static void ints_append(Reader *r, IntVec *a, const IntVec *b) {
  if (a->n + b->n > a->cap) a->v = grow(r, a->v, &a->cap, a->n + b->n, sizeof(int32_t));
  if (b->n > 0) memcpy(a->v + a->n, b->v, b->n * sizeof(int32_t));
  a->n += b->n;
}

// --- the string table -----------------------------------------------------------------------

/** A word-at-a-time multiplicative hash: strings here are short, and most of them are new. */
static uint32_t hash_bytes(const uint8_t *s, size_t len) {
  uint64_t h = UINT64_C(0x9e3779b97f4a7c15) ^ len;
  for (; len >= 8; s += 8, len -= 8) {
    uint64_t w;
    memcpy(&w, s, 8);
    h = (h ^ w) * UINT64_C(0xff51afd7ed558ccd);
    h ^= h >> 32;
  }
  uint64_t w = 0;
  memcpy(&w, s, len);
  h = (h ^ w) * UINT64_C(0xc4ceb9fe1a85ec53);
  h ^= h >> 29;
  return (uint32_t)h;
}

/** Flags per string-table entry (stringAscii in the result). */
enum { S_ASCII = 1, S_UNINDEXED = 2 };

static void rehash(Reader *r) {
  size_t size = r->slot_mask == 0 ? 4096 : (r->slot_mask + 1) * 2;
  int32_t *slots = calloc(size, sizeof(int32_t));
  if (slots == NULL) decline(r, "out of memory");
  for (size_t id = 0; id < r->sends.n; id++) {
    if (r->sascii.v[id] & S_UNINDEXED) continue;
    size_t s = (uint32_t)r->shashes.v[id] & (size - 1);
    while (slots[s] != 0) s = (s + 1) & (size - 1);
    slots[s] = (int32_t)id + 1;
  }
  free(r->slots);
  r->slots = slots;
  r->slot_mask = size - 1;
}

/** A new entry in the string table; `flags` S_UNINDEXED for one that intern() does not find. */
static int32_t append_string(Reader *r, Str str, uint32_t h, uint8_t flags) {
  int32_t id = (int32_t)r->sends.n;
  byte_append(r, &r->sbytes, str.s, str.len);
  if (r->sbytes.n > INT32_MAX) decline(r, "strings too large");
  int_push(r, &r->sends, (int32_t)r->sbytes.n);
  int_push(r, &r->shashes, (int32_t)h);
  byte_push(r, &r->sascii, (uint8_t)(str.ascii ? S_ASCII | flags : flags));
  return id;
}

/** The id of an equal string already in the table, else of a new entry. */
static int32_t intern(Reader *r, Str str) {
  uint32_t h = hash_bytes(str.s, str.len);
  // Sized by the entries it holds, not by the whole table: kept small, the index stays in cache.
  if ((r->indexed + 1) * 2 > r->slot_mask + 1) rehash(r);
  size_t s = h & r->slot_mask;
  for (; r->slots[s] != 0; s = (s + 1) & r->slot_mask) {
    int32_t id = r->slots[s] - 1;
    if ((uint32_t)r->shashes.v[id] != h) continue;
    size_t start = id == 0 ? 0 : (size_t)r->sends.v[id - 1];
    // (No memcmp for the empty string: the bytes may be no buffer at all yet.)
    if ((size_t)r->sends.v[id] - start == str.len && (str.len == 0 || memcmp(r->sbytes.v + start, str.s, str.len) == 0)) return id;
  }
  int32_t id = append_string(r, str, h, 0);
  r->slots[s] = id + 1;
  r->indexed++;
  return id;
}

// --- more of a document that is still arriving ---------------------------------------------------

/** Waits for bytes beyond r->end; 0 at the end of the document (or without a stream). */
__attribute__((noinline)) static int more(Reader *r) {
  Stream *s = r->stream;
  if (s == NULL) return 0;
  size_t seen = (size_t)(r->end - r->base);
  pthread_mutex_lock(&s->mu);
  while (s->avail == seen && !s->eof) pthread_cond_wait(&s->cv, &s->mu);
  size_t avail = s->avail;
  int cancelled = s->cancelled;
  pthread_mutex_unlock(&s->mu);
  if (cancelled) decline(r, "cancelled");
  r->end = r->base + avail;
  return avail > seen;
}

/** Bytes available at the cursor, after waiting for up to `n` of them; fewer only at the end. */
static size_t have(Reader *r, size_t n) {
  while ((size_t)(r->end - r->p) < n && more(r)) continue;
  return (size_t)(r->end - r->p);
}

/** The byte at the cursor, or -1 at the end of the document. */
static int at(Reader *r) {
  return r->p < r->end || more(r) ? *r->p : -1;
}

// --- JSON syntax (RFC 8259) ------------------------------------------------------------------

static inline void ws(Reader *r) {
  for (;;) {
    for (; r->p < r->end; r->p++) {
      uint8_t c = *r->p;
      // Most calls find a token at once (a master sends compact JSON): one test for those.
      if (c > ' ' || (c != ' ' && c != '\n' && c != '\r' && c != '\t')) return;
    }
    if (!more(r)) return;
  }
}

static int peek(Reader *r) {
  ws(r);
  if (r->p >= r->end) decline(r, "syntax");
  return *r->p;
}

static void expect(Reader *r, uint8_t c) {
  if (peek(r) != c) decline(r, "syntax");
  r->p++;
}

static int hex_value(int c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

static unsigned read_hex4(Reader *r) {
  if (have(r, 4) < 4) decline(r, "syntax");
  unsigned u = 0;
  for (int i = 0; i < 4; i++) {
    int d = hex_value(r->p[i]);
    if (d < 0) decline(r, "syntax");
    u = (u << 4) | (unsigned)d;
  }
  r->p += 4;
  return u;
}

/** Length of the valid UTF-8 sequence at s (RFC 3629: no overlongs, no surrogates), or 0. */
static size_t utf8_sequence(const uint8_t *s, const uint8_t *end) {
  uint8_t c = s[0];
  size_t n;
  uint32_t min, cp;
  if (c >= 0xc2 && c <= 0xdf) n = 2, min = 0x80, cp = c & 0x1f;
  else if (c >= 0xe0 && c <= 0xef) n = 3, min = 0x800, cp = c & 0x0f;
  else if (c >= 0xf0 && c <= 0xf4) n = 4, min = 0x10000, cp = c & 0x07;
  else return 0;
  if ((size_t)(end - s) < n) return 0;
  for (size_t i = 1; i < n; i++) {
    if ((s[i] & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (s[i] & 0x3f);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
  return n;
}

static void utf8_encode(Reader *r, ByteVec *out, uint32_t cp) {
  uint8_t b[4];
  size_t n;
  if (cp < 0x80) b[0] = (uint8_t)cp, n = 1;
  else if (cp < 0x800) b[0] = (uint8_t)(0xc0 | (cp >> 6)), b[1] = (uint8_t)(0x80 | (cp & 0x3f)), n = 2;
  else if (cp < 0x10000) b[0] = (uint8_t)(0xe0 | (cp >> 12)), b[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f)), b[2] = (uint8_t)(0x80 | (cp & 0x3f)), n = 3;
  else b[0] = (uint8_t)(0xf0 | (cp >> 18)), b[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3f)), b[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f)), b[3] = (uint8_t)(0x80 | (cp & 0x3f)), n = 4;
  byte_append(r, out, b, n);
}

/** Bytes a string's fast path passes over: printable ASCII other than `"` and `\\`. */
static const uint8_t PLAIN[256] = {
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
  1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
  1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
  1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1,
  1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
  1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
};

/** The same for a string whose bytes are not kept (non-ASCII passes, see skip_string). */
static const uint8_t SKIP[256] = {
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
  1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
  1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
  1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1,
  1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
  1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
  1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
  1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
  1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
  1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
  1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
  1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
  1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
  1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
};

/** The cursor moved past the bytes that `table` passes, four at a time while it can. */
static const uint8_t *scan(const uint8_t *p, const uint8_t *end, const uint8_t *table) {
  while (end - p >= 4 && table[p[0]] && table[p[1]] && table[p[2]] && table[p[3]]) p += 4;
  while (p < end && table[*p]) p++;
  return p;
}

/**
 * A string DNS reads (or a key), decoded. Raw bytes below 0x20 are a JSON syntax error; non-ASCII
 * bytes must be valid UTF-8 (else the JavaScript decoder would put U+FFFD there: declined).
 */
static Str read_string(Reader *r) {
  expect(r, '"');
  const uint8_t *start = r->p;
  int ascii = 1;
  // Fast path: no escapes, the string is a slice of the input.
  for (;;) {
    r->p = scan(r->p, r->end, PLAIN);
    if (r->p >= r->end) {
      if (!more(r)) decline(r, "syntax");
      continue;
    }
    uint8_t c = *r->p;
    if (c == '"') {
      Str s = { start, (size_t)(r->p - start), ascii };
      r->p++;
      return s;
    }
    if (c == '\\') break;
    if (c < 0x20) decline(r, "syntax");
    if (c >= 0x80) {
      have(r, 4);
      size_t n = utf8_sequence(r->p, r->end);
      if (n == 0) decline(r, "invalid UTF-8 in a string");
      ascii = 0;
      r->p += n;
    } else {
      r->p++;
    }
  }
  ByteVec *out = &r->scratch;
  out->n = 0;
  byte_append(r, out, start, (size_t)(r->p - start));
  for (;;) {
    if (r->p >= r->end && !more(r)) decline(r, "syntax");
    uint8_t c = *r->p;
    if (c == '"') {
      r->p++;
      Str s = { out->v, out->n, ascii };
      return s;
    }
    if (c < 0x20) decline(r, "syntax");
    if (c >= 0x80) {
      have(r, 4);
      size_t n = utf8_sequence(r->p, r->end);
      if (n == 0) decline(r, "invalid UTF-8 in a string");
      ascii = 0;
      byte_append(r, out, r->p, n);
      r->p += n;
      continue;
    }
    if (c != '\\') {
      byte_push(r, out, c);
      r->p++;
      continue;
    }
    r->p++;
    if (r->p >= r->end && !more(r)) decline(r, "syntax");
    uint8_t e = *r->p++;
    switch (e) {
      case '"': byte_push(r, out, '"'); break;
      case '\\': byte_push(r, out, '\\'); break;
      case '/': byte_push(r, out, '/'); break;
      case 'b': byte_push(r, out, '\b'); break;
      case 'f': byte_push(r, out, '\f'); break;
      case 'n': byte_push(r, out, '\n'); break;
      case 'r': byte_push(r, out, '\r'); break;
      case 't': byte_push(r, out, '\t'); break;
      case 'u': {
        uint32_t cp = read_hex4(r);
        if (cp >= 0xdc00 && cp <= 0xdfff) decline(r, "lone surrogate escape");
        if (cp >= 0xd800 && cp <= 0xdbff) {
          if (have(r, 6) < 6 || r->p[0] != '\\' || r->p[1] != 'u') decline(r, "lone surrogate escape");
          r->p += 2;
          uint32_t low = read_hex4(r);
          if (low < 0xdc00 || low > 0xdfff) decline(r, "lone surrogate escape");
          cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
        }
        if (cp >= 0x80) ascii = 0;
        utf8_encode(r, out, cp);
        break;
      }
      default:
        decline(r, "syntax");
    }
  }
}

/** A string DNS does not read: syntax only (its bytes never reach a result). */
static void skip_string(Reader *r) {
  expect(r, '"');
  for (;;) {
    r->p = scan(r->p, r->end, SKIP);
    if (r->p >= r->end) {
      if (!more(r)) decline(r, "syntax");
      continue;
    }
    uint8_t c = *r->p++;
    if (c == '"') return;
    if (c < 0x20) decline(r, "syntax");
    if (c != '\\') continue;
    if (r->p >= r->end && !more(r)) decline(r, "syntax");
    uint8_t e = *r->p++;
    if (e == 'u') read_hex4(r);
    else if (!(e == '"' || e == '\\' || e == '/' || e == 'b' || e == 'f' || e == 'n' || e == 'r' || e == 't')) decline(r, "syntax");
  }
}

static const double POW10[] = {
  1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
  1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
};

/**
 * A JSON number. Its value is computed only where it is exact (Clinger's fast path: a decimal
 * significand below 2^53 times or divided by a power of ten up to 10^22, each exactly
 * representable, so one IEEE operation rounds correctly, as JSON.parse does). Timestamps such as
 * 1458823233.62374 and port numbers are all of that kind; anything else (`exact` = 0 afterwards)
 * declines when its value is needed.
 */
static double read_number(Reader *r, int *exact) {
  ws(r);
  int negative = 0;
  if (at(r) == '-') negative = 1, r->p++;
  int c = at(r);
  if (c < '0' || c > '9') decline(r, "syntax");
  uint64_t m = 0;
  int digits = 0;   // significant digits in m
  int overflow = 0;
  long exp10 = 0;
  if (c == '0') {
    r->p++;
  } else {
    for (; (c = at(r)) >= '0' && c <= '9'; r->p++) {
      if (digits < 19) m = m * 10 + (uint64_t)(c - '0'), digits += m != 0;
      else overflow = 1, exp10++;
    }
  }
  if (at(r) == '.') {
    r->p++;
    c = at(r);
    if (c < '0' || c > '9') decline(r, "syntax");
    for (; (c = at(r)) >= '0' && c <= '9'; r->p++) {
      if (digits < 19) m = m * 10 + (uint64_t)(c - '0'), digits += m != 0, exp10--;
      else if (c != '0') overflow = 1;
    }
  }
  c = at(r);
  if (c == 'e' || c == 'E') {
    r->p++;
    int eneg = 0;
    c = at(r);
    if (c == '+' || c == '-') eneg = c == '-', r->p++;
    c = at(r);
    if (c < '0' || c > '9') decline(r, "syntax");
    long e = 0;
    for (; (c = at(r)) >= '0' && c <= '9'; r->p++) {
      if (e < 100000) e = e * 10 + (c - '0');
    }
    exp10 += eneg ? -e : e;
  }
  *exact = 0;
  if (overflow) return 0;
  if (m == 0) {
    *exact = 1;
    return negative ? -0.0 : 0.0;
  }
  while (exp10 < 0 && m % 10 == 0) m /= 10, exp10++;
  if (m > (UINT64_C(1) << 53) || exp10 < -22 || exp10 > 22) return 0;
  double v = (double)m;
  v = exp10 < 0 ? v / POW10[-exp10] : v * POW10[exp10];
  *exact = 1;
  return negative ? -v : v;
}

static void skip_literal(Reader *r, const char *word) {
  size_t n = strlen(word);
  if (have(r, n) < n || memcmp(r->p, word, n) != 0) decline(r, "syntax");
  r->p += n;
}

static void skip_value(Reader *r);

/** Calls `member(r, ctx, key)` for each member of the object at the cursor, positioned at its value. */
typedef void (*MemberFn)(Reader *r, void *ctx, Str key);

static void read_object(Reader *r, void *ctx, MemberFn member) {
  expect(r, '{');
  if (++r->depth > MAX_DEPTH) decline(r, "nesting too deep");
  if (peek(r) == '}') {
    r->p++;
    r->depth--;
    return;
  }
  for (;;) {
    // A failed fetch stops a reader that is behind (cancel()) without waiting for it to
    // catch up with what has arrived.
    if (r->stream != NULL && __atomic_load_n(&r->stream->cancelled, __ATOMIC_RELAXED)) decline(r, "cancelled");
    Str key = read_string(r);
    expect(r, ':');
    member(r, ctx, key);
    int c = peek(r);
    r->p++;
    if (c == '}') break;
    if (c != ',') decline(r, "syntax");
  }
  r->depth--;
}

/** Calls `element(r, ctx)` for each element of the array at the cursor. */
typedef void (*ElementFn)(Reader *r, void *ctx);

static void read_array(Reader *r, void *ctx, ElementFn element) {
  expect(r, '[');
  if (++r->depth > MAX_DEPTH) decline(r, "nesting too deep");
  if (peek(r) == ']') {
    r->p++;
    r->depth--;
    return;
  }
  for (;;) {
    element(r, ctx);
    int c = peek(r);
    r->p++;
    if (c == ']') break;
    if (c != ',') decline(r, "syntax");
  }
  r->depth--;
}

static void skip_member(Reader *r, void *ctx, Str key) {
  (void)ctx;
  (void)key;
  skip_value(r);
}

static void skip_element(Reader *r, void *ctx) {
  (void)ctx;
  skip_value(r);
}

static void skip_value(Reader *r) {
  int exact;
  switch (peek(r)) {
    case '{': read_object(r, NULL, skip_member); break;
    case '[': read_array(r, NULL, skip_element); break;
    case '"': skip_string(r); break;
    case 't': skip_literal(r, "true"); break;
    case 'f': skip_literal(r, "false"); break;
    case 'n': skip_literal(r, "null"); break;
    default: read_number(r, &exact); break;
  }
}

// --- typed reads: parse-state.ts's optString / optArray / ... -----------------------------------

static int key_is(Str key, const char *name) {
  size_t n = strlen(name);
  return key.len == n && memcmp(key.s, name, n) == 0;
}

/** Marks `bit` seen in `*seen`; a key read twice in one object declines (JSON.parse keeps the last). */
static void once(Reader *r, unsigned *seen, unsigned bit) {
  if (*seen & bit) decline(r, "a key repeated in one object");
  *seen |= bit;
}

static int is_null(Reader *r) {
  if (peek(r) != 'n') return 0;
  skip_literal(r, "null");
  return 1;
}

/**
 * optString / optObject / optArray's type test: 1 if a value starting with `first` follows ('"' a
 * string, '{' an object, '[' an array), 0 for null (read), and a decline for any other type.
 */
static int opt_value(Reader *r, uint8_t first) {
  if (is_null(r)) return 0;
  if (peek(r) != first) malformed(r, "a field of the wrong type");
  return 1;
}

/** optString: absent or null -> -1, a string -> its id, anything else declines. */
static int32_t opt_string(Reader *r) {
  return opt_value(r, '"') ? intern(r, read_string(r)) : -1;
}

/** optString for a value that does not repeat (a task id): kept without looking for an equal one. */
static int32_t opt_unique_string(Reader *r) {
  return opt_value(r, '"') ? append_string(r, read_string(r), 0, S_UNINDEXED) : -1;
}

/** optString whose value is not needed, only its type. */
static void check_string(Reader *r) {
  if (opt_value(r, '"')) skip_string(r);
}

/** optNumber's value (absent or null -> `absent`); declines on another type or an inexact value. */
static double opt_number(Reader *r, double absent) {
  if (is_null(r)) return absent;
  int c = peek(r);
  if (!(c == '-' || (c >= '0' && c <= '9'))) malformed(r, "a field of the wrong type");
  int exact;
  double v = read_number(r, &exact);
  if (!exact) decline(r, "a number not read exactly");
  return v;
}


/** asObject for an array element. */
static void need_object(Reader *r) {
  if (peek(r) != '{') malformed(r, "an element of the wrong type");
}

/** A pid: absent -> -1, a string -> its id; null or another type declines (optPid). */
static int32_t opt_pid(Reader *r) {
  if (peek(r) != '"') malformed(r, "a pid that is not a string");
  return intern(r, read_string(r));
}

// --- malformed elements: left out, the rest of the document applies ------------------------

enum { K_AGENT, K_FRAMEWORK, K_TASK };

typedef void (*ReadFn)(Reader *r, void *ctx);

/**
 * Reads one agent, framework or task with `read`: 1. When it turns out malformed (malformed()
 * above), everything it wrote is dropped (a framework's tasks and their skip records too), the
 * cursor goes back to its start, it is passed over for syntax only and recorded in r->skipped: 0.
 */
static int element(Reader *r, int kind, size_t index, long task, ReadFn read, void *ctx) {
  peek(r);
  const uint8_t *start = r->p;
  int depth = r->depth;
  jmp_buf *outer = r->soft;
  size_t agents = r->agents.n, frameworks = r->frameworks.n, numbers = r->numbers.n, skipped = r->skipped.n;
  jmp_buf here;
  if (setjmp(here) == 0) {
    r->soft = &here;
    read(r, ctx);
    r->soft = outer;
    return 1;
  }
  r->soft = outer;
  r->depth = depth;
  r->agents.n = agents, r->frameworks.n = frameworks, r->numbers.n = numbers, r->skipped.n = skipped;
  r->p = start;
  skip_value(r);
  double record[5] = { kind, (double)index, (double)task, (double)(start - r->base), (double)(r->p - r->base) };
  if (r->skipped.n + 5 > r->skipped.cap) r->skipped.v = grow(r, r->skipped.v, &r->skipped.cap, r->skipped.n + 5, sizeof(double));
  memcpy(r->skipped.v + r->skipped.n, record, sizeof record);
  r->skipped.n += 5;
  return 0;
}

/** Elements of an array read with element(): how many were kept, and the next one's index. */
typedef struct { size_t kept, index; size_t framework; } Elements;

// --- agents -----------------------------------------------------------------------------------

typedef struct { int32_t id, hostname, pid; unsigned seen; } Agent;

static void agent_member(Reader *r, void *ctx, Str key) {
  Agent *a = ctx;
  if (key_is(key, "id")) once(r, &a->seen, 1), a->id = opt_string(r);
  else if (key_is(key, "hostname")) once(r, &a->seen, 2), a->hostname = opt_string(r);
  else if (key_is(key, "pid")) once(r, &a->seen, 4), a->pid = opt_pid(r);
  else skip_value(r);
}

static void read_agent(Reader *r, void *ctx) {
  (void)ctx;
  need_object(r);
  Agent a = { -1, -1, -1, 0 };
  read_object(r, &a, agent_member);
  int_push(r, &r->agents, a.id);
  int_push(r, &r->agents, a.hostname);
  int_push(r, &r->agents, a.pid);
}

static void agent_element(Reader *r, void *ctx) {
  Elements *list = ctx;
  list->kept += element(r, K_AGENT, list->index++, -1, read_agent, NULL);
}

// --- a task's statuses: the newest TASK_RUNNING one ---------------------------------------------

static const char MESOS_IP_LABEL[] = "MesosContainerizer.NetworkSettings.IPAddress";
static const char DOCKER_IP_LABEL[] = "Docker.NetworkSettings.IPAddress";

typedef struct { int32_t key_kind, value; unsigned seen; } Label;

static void label_member(Reader *r, void *ctx, Str key) {
  Label *l = ctx;
  if (key_is(key, "key")) {
    once(r, &l->seen, 1);
    if (!opt_value(r, '"')) return;
    Str k = read_string(r);
    l->key_kind = key_is(k, MESOS_IP_LABEL) ? 1 : key_is(k, DOCKER_IP_LABEL) ? 2 : 0;
  } else if (key_is(key, "value")) {
    once(r, &l->seen, 2);
    l->value = opt_string(r);
  } else {
    skip_value(r);
  }
}

static void label_element(Reader *r, void *ctx) {
  Status *s = ctx;
  need_object(r);
  Label l = { 0, -1, 0 };
  read_object(r, &l, label_member);
  if (l.key_kind == 0) return;
  // `value ?? ''`: a label without a value still contributes an (empty) entry.
  Str empty = { (const uint8_t *)"", 0, 1 };
  int32_t value = l.value >= 0 ? l.value : intern(r, empty);
  int_push(r, l.key_kind == 1 ? &s->mesos : &s->docker, value);
}

static int nonempty(Reader *r, int32_t id) {
  return id >= 0 && r->sends.v[id] != (id == 0 ? 0 : r->sends.v[id - 1]);
}

typedef struct { int32_t ip; unsigned seen; } IpAddress;

static void ip_address_member(Reader *r, void *ctx, Str key) {
  IpAddress *a = ctx;
  if (key_is(key, "ip_address")) once(r, &a->seen, 1), a->ip = opt_string(r);
  else skip_value(r);
}

typedef struct { IntVec *ips; size_t count; } IpAddresses;

static void ip_address_element(Reader *r, void *ctx) {
  IpAddresses *list = ctx;
  need_object(r);
  IpAddress a = { -1, 0 };
  read_object(r, &a, ip_address_member);
  list->count++;
  if (nonempty(r, a.ip)) int_push(r, list->ips, a.ip);  // `if (ip) ips.push(ip)`
}

/**
 * A port mapping's port as task-addressing.ts portNumber reads it: an integer 0-65535, or a
 * string of digits with such a value; -1 for anything else, which counts as absent (read
 * leniently: never malformed).
 */
static int port_number(Reader *r) {
  int c = peek(r);
  if (c == '-' || (c >= '0' && c <= '9')) {
    int exact;
    double v = read_number(r, &exact);
    if (!exact) decline(r, "a number not read exactly");
    return v >= 0 && v <= 65535 && v == (double)(long)v ? (int)v : -1;
  }
  if (c != '"') {
    skip_value(r);
    return -1;
  }
  Str text = read_string(r);
  if (text.len == 0) return -1;
  long value = 0;
  for (size_t i = 0; i < text.len; i++) {
    if (text.s[i] < '0' || text.s[i] > '9') return -1;
    if (value <= 65535) value = value * 10 + (text.s[i] - '0');
  }
  return value <= 65535 ? (int)value : -1;
}

static uint8_t lower(uint8_t c);

/** A port mapping's protocol as task-addressing.ts protocolOf reads it: 0 `tcp`, 1 `udp` (any case), else -1. */
static int port_protocol(Reader *r) {
  if (peek(r) != '"') {
    skip_value(r);
    return -1;
  }
  Str text = read_string(r);
  if (text.len != 3) return -1;
  static const char *names[2] = { "tcp", "udp" };
  for (int p = 0; p < 2; p++) {
    int same = 1;
    for (size_t i = 0; i < 3 && same; i++) same = lower(text.s[i]) == (uint8_t)names[p][i];
    if (same) return p;
  }
  return -1;
}

typedef struct { int host, container, protocol; unsigned seen; } PortMapping;

static void port_mapping_member(Reader *r, void *ctx, Str key) {
  PortMapping *m = ctx;
  if (key_is(key, "host_port")) once(r, &m->seen, 1), m->host = port_number(r);
  else if (key_is(key, "container_port")) once(r, &m->seen, 2), m->container = port_number(r);
  else if (key_is(key, "protocol")) once(r, &m->seen, 4), m->protocol = port_protocol(r);
  else skip_value(r);
}

/** One network_infos[] element: its ip_addresses go straight into `ips` (the status's list), its port mappings into `maps`. */
typedef struct { IntVec *ips; size_t count; int32_t single; int32_t name; unsigned seen; int mapped; IntVec *maps; } NetworkInfo;

/**
 * One port_mappings[] element: an object with a host_port sets info->mapped (hasPortMapping); one
 * with a container port and a protocol too goes to info->maps (statusPortMappings); anything else
 * is passed over.
 */
static void port_mapping_element(Reader *r, void *ctx) {
  NetworkInfo *info = ctx;
  if (peek(r) != '{') {
    skip_value(r);
    return;
  }
  PortMapping m = { -1, -1, -1, 0 };
  read_object(r, &m, port_mapping_member);
  if (m.host < 0) return;
  info->mapped = 1;
  if (m.container < 0 || m.protocol < 0) return;
  int_push(r, info->maps, m.container);
  int_push(r, info->maps, m.host);
  int_push(r, info->maps, m.protocol);
}

static void network_info_member(Reader *r, void *ctx, Str key) {
  NetworkInfo *info = ctx;
  if (key_is(key, "ip_addresses")) {
    once(r, &info->seen, 1);
    if (!opt_value(r, '[')) return;
    IpAddresses list = { info->ips, 0 };
    read_array(r, &list, ip_address_element);
    info->count = list.count;
  } else if (key_is(key, "ip_address")) {
    once(r, &info->seen, 2);
    info->single = opt_string(r);
  } else if (key_is(key, "name")) {
    // Read leniently (task-addressing.ts networkIPs): a name that is not a string is no name.
    once(r, &info->seen, 4);
    if (peek(r) == '"') info->name = intern(r, read_string(r));
    else skip_value(r);
  } else if (key_is(key, "port_mappings")) {
    // Read leniently, as task-addressing.ts statusPortMapped: a value that is not a list is no list.
    once(r, &info->seen, 8);
    if (peek(r) == '[') read_array(r, info, port_mapping_element);
    else skip_value(r);
  } else {
    skip_value(r);
  }
}

static void network_info_element(Reader *r, void *ctx) {
  Status *s = ctx;
  need_object(r);
  // This info's non-empty ip_addresses[].ip_address values go after the IPs of earlier infos.
  // (Appended in place, never through a copy of the vector: a decline half way must leave
  // s->net owning whatever buffer a push moved it to, or that buffer is lost.)
  size_t before = s->net.n;
  NetworkInfo info = { &s->net, 0, -1, -1, 0, 0, &s->maps };
  read_object(r, &info, network_info_member);
  if (info.mapped) s->port_mapped = 1;
  // ip_addresses with any element wins; otherwise the 0.25 single ip_address (networkIPs()).
  if (info.count == 0) {
    s->net.n = before;
    if (nonempty(r, info.single)) int_push(r, &s->net, info.single);
  }
  while (s->names.n < s->net.n) int_push(r, &s->names, info.name);
}

typedef struct { Status *s; unsigned seen; } Container;

static void container_member(Reader *r, void *ctx, Str key) {
  Container *c = ctx;
  if (key_is(key, "network_infos")) {
    once(r, &c->seen, 1);
    if (!opt_value(r, '[')) return;
    read_array(r, c->s, network_info_element);
  } else {
    skip_value(r);
  }
}

/** A status's container_status (null allowed), the same in both forms (status_member here, v1_status_member in operator-state.h). */
static void read_container_status(Reader *r, Status *s) {
  if (!opt_value(r, '{')) return;
  s->has_container = 1;
  Container container = { s, 0 };
  read_object(r, &container, container_member);
}

typedef struct { Status *s; int state; unsigned seen; } StatusCtx;

static void status_member(Reader *r, void *ctx, Str key) {
  StatusCtx *c = ctx;
  Status *s = c->s;
  if (key_is(key, "state")) {
    once(r, &c->seen, 1);
    if (opt_value(r, '"')) c->state = key_is(read_string(r), "TASK_RUNNING");
  } else if (key_is(key, "timestamp")) {
    once(r, &c->seen, 2);
    s->timestamp = opt_number(r, 0);
  } else if (key_is(key, "labels")) {
    once(r, &c->seen, 4);
    if (opt_value(r, '[')) read_array(r, s, label_element);
  } else if (key_is(key, "container_status")) {
    once(r, &c->seen, 8);
    read_container_status(r, s);
  } else if (key_is(key, "healthy")) {
    once(r, &c->seen, 16);
    if (is_null(r)) return;
    int v = peek(r);
    if (v == 't') skip_literal(r, "true"), s->healthy = 1;
    else if (v == 'f') skip_literal(r, "false"), s->healthy = 0;
    else malformed(r, "a field of the wrong type");
  } else {
    skip_value(r);
  }
}

static void status_reset(Status *s) {
  s->running = 0;
  s->timestamp = 0;
  s->healthy = -1;
  s->has_container = 0;
  s->port_mapped = 0;
  s->maps.n = 0;
  s->net.n = s->mesos.n = s->docker.n = s->names.n = 0;
}

/**
 * The status just read into r->cur is a TASK_RUNNING one: it becomes r->best when it is the
 * newest, and its network IPs r->net when it is the newest with any. Shared by both forms
 * (status_element here, v1_status_element in operator-state.h).
 */
static void running_status(Reader *r) {
  Status *s = &r->cur;
  // The newest RUNNING status with network IPs, the first on a tie (parse-task.ts runningNetwork,
  // operator-state.ts latestRunning).
  if (s->net.n > 0 && (!r->best_net || s->timestamp > r->net_timestamp)) {
    r->best_net = 1;
    r->net_timestamp = s->timestamp;
    r->net_port_mapped = s->port_mapped;
    r->net_maps.n = 0;
    ints_append(r, &r->net_maps, &s->maps);
    r->net.n = r->names.n = 0;
    ints_append(r, &r->net, &s->net);
    ints_append(r, &r->names, &s->names);
  }
  // The largest timestamp, the first one on a tie (parseRunningStatus, latestRunning).
  if (!r->best.running || s->timestamp > r->best.timestamp) {
    Status t = r->best;
    r->best = *s;
    r->cur = t;
    r->best.running = 1;
  }
}

/**
 * One status object, its members read by `member` (status_member here, v1_status_member in
 * operator-state.h); a TASK_RUNNING one goes to running_status.
 */
static void read_status(Reader *r, MemberFn member) {
  need_object(r);
  Status *s = &r->cur;
  status_reset(s);
  StatusCtx c = { s, 0, 0 };
  read_object(r, &c, member);
  if (c.state) running_status(r);
}

static void status_element(Reader *r, void *ctx) {
  (void)ctx;
  read_status(r, status_member);
}

// --- discovery --------------------------------------------------------------------------------

typedef struct { double number; int32_t protocol, name; unsigned seen; } Port;

static void port_member(Reader *r, void *ctx, Str key) {
  Port *p = ctx;
  if (key_is(key, "number")) once(r, &p->seen, 1), p->number = opt_number(r, 0);
  else if (key_is(key, "protocol")) once(r, &p->seen, 2), p->protocol = opt_string(r);
  else if (key_is(key, "name")) once(r, &p->seen, 4), p->name = opt_string(r);
  else skip_value(r);
}

static void port_element(Reader *r, void *ctx) {
  (void)ctx;
  need_object(r);
  Port p = { 0, -1, -1, 0 };
  read_object(r, &p, port_member);
  double n = p.number;
  // Number.isInteger (exact values are finite; every double from 2^53 up is an integer), then
  // a port out of SRV range is left out.
  if ((n < 0 ? -n : n) < 9007199254740992.0 && n != (double)(int64_t)n) malformed(r, "a port number that is not an integer");
  if (n == 0 && 1 / n < 0) decline(r, "a port number of -0");
  if (n < 0 || n > 65535) return;
  int_push(r, &r->ports, (int32_t)n);
  int_push(r, &r->ports, p.protocol);
  int_push(r, &r->ports, p.name);
}

static void port_list_member(Reader *r, void *ctx, Str key) {
  unsigned *seen = ctx;
  if (key_is(key, "ports")) {
    once(r, seen, 1);
    if (opt_value(r, '[')) read_array(r, NULL, port_element);
  } else {
    skip_value(r);
  }
}

typedef struct { int32_t name; unsigned seen; } Discovery;

static void discovery_member(Reader *r, void *ctx, Str key) {
  Discovery *d = ctx;
  if (key_is(key, "name")) {
    once(r, &d->seen, 1);
    d->name = opt_string(r);
  } else if (key_is(key, "ports")) {
    once(r, &d->seen, 2);
    if (!opt_value(r, '{')) return;
    unsigned seen = 0;
    read_object(r, &seen, port_list_member);
  } else {
    skip_value(r);
  }
}

// --- the task hash: records/task-hash.ts ---------------------------------------------------------

static uint32_t rotl(uint32_t x, int n) {
  return (x << n) | (x >> (32 - n));
}

#define SHA1_ROUND(f, k, t)                              \
  do {                                                   \
    uint32_t temp = rotl(a, 5) + (f) + e + (k) + w[t];   \
    e = d, d = c, c = rotl(b, 30), b = a, a = temp;      \
  } while (0)

static void sha1_block(uint32_t h[5], const uint8_t *block) {
  uint32_t w[80];
  for (int t = 0; t < 16; t++) w[t] = (uint32_t)block[4 * t] << 24 | (uint32_t)block[4 * t + 1] << 16 | (uint32_t)block[4 * t + 2] << 8 | block[4 * t + 3];
  for (int t = 16; t < 80; t++) w[t] = rotl(w[t - 3] ^ w[t - 8] ^ w[t - 14] ^ w[t - 16], 1);
  uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
  // The four kinds of round in four loops, so no round tests which kind it is.
  for (int t = 0; t < 20; t++) SHA1_ROUND((b & c) | (~b & d), 0x5a827999, t);
  for (int t = 20; t < 40; t++) SHA1_ROUND(b ^ c ^ d, 0x6ed9eba1, t);
  for (int t = 40; t < 60; t++) SHA1_ROUND((b & c) | (b & d) | (c & d), 0x8f1bbcdc, t);
  for (int t = 60; t < 80; t++) SHA1_ROUND(b ^ c ^ d, 0xca62c1d6, t);
  h[0] += a, h[1] += b, h[2] += c, h[3] += d, h[4] += e;
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <cpuid.h>
#include <immintrin.h>
#define SHA1_X86 1

// The same compression with the x86 SHA extensions (Intel SHA-NI, AMD Zen and later): about five
// times faster, and the reader thread's largest cost otherwise. Four rounds per sha1rnds4;
// sha1msg1, xor and sha1msg2 build the message schedule four words at a time (Intel, "New
// Instructions Supporting the Secure Hash Algorithm on Intel Architecture Processors", 2013).
#define SHA1_TARGET __attribute__((target("sha,ssse3,sse4.1")))

/**
 * Rounds 4g..4g+3. `e` gets the next E from the message words, `save` keeps ABCD for the group
 * after; then the words of later groups are advanced (group h's words get sha1msg1 in group h-3,
 * the xor in h-2 and sha1msg2 in h-1).
 */
#define SHA1_NI_GROUP(g, e, save)                                                       \
  do {                                                                                  \
    e = _mm_sha1nexte_epu32(e, m[(g) % 4]);                                             \
    save = abcd;                                                                        \
    if ((g) >= 3 && (g) <= 18) m[((g) + 1) % 4] = _mm_sha1msg2_epu32(m[((g) + 1) % 4], m[(g) % 4]); \
    abcd = _mm_sha1rnds4_epu32(abcd, e, (g) / 5);                                       \
    if ((g) >= 1 && (g) <= 16) m[((g) + 3) % 4] = _mm_sha1msg1_epu32(m[((g) + 3) % 4], m[(g) % 4]); \
    if ((g) >= 2 && (g) <= 17) m[((g) + 2) % 4] = _mm_xor_si128(m[((g) + 2) % 4], m[(g) % 4]); \
  } while (0)

SHA1_TARGET static void sha1_block_ni(uint32_t h[5], const uint8_t *block) {
  const __m128i swap = _mm_set_epi64x(0x0001020304050607LL, 0x08090a0b0c0d0e0fLL);
  __m128i abcd = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)h), 0x1b);
  __m128i e0 = _mm_set_epi32((int)h[4], 0, 0, 0), e1;
  const __m128i abcd_in = abcd, e_in = e0;
  __m128i m[4];
  for (int i = 0; i < 4; i++) m[i] = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(block + 16 * i)), swap);
  // Group 0 adds E to the first words directly; the rest alternate between e0 and e1.
  e0 = _mm_add_epi32(e0, m[0]);
  e1 = abcd;
  abcd = _mm_sha1rnds4_epu32(abcd, e0, 0);
  SHA1_NI_GROUP(1, e1, e0);
  SHA1_NI_GROUP(2, e0, e1);
  SHA1_NI_GROUP(3, e1, e0);
  SHA1_NI_GROUP(4, e0, e1);
  SHA1_NI_GROUP(5, e1, e0);
  SHA1_NI_GROUP(6, e0, e1);
  SHA1_NI_GROUP(7, e1, e0);
  SHA1_NI_GROUP(8, e0, e1);
  SHA1_NI_GROUP(9, e1, e0);
  SHA1_NI_GROUP(10, e0, e1);
  SHA1_NI_GROUP(11, e1, e0);
  SHA1_NI_GROUP(12, e0, e1);
  SHA1_NI_GROUP(13, e1, e0);
  SHA1_NI_GROUP(14, e0, e1);
  SHA1_NI_GROUP(15, e1, e0);
  SHA1_NI_GROUP(16, e0, e1);
  SHA1_NI_GROUP(17, e1, e0);
  SHA1_NI_GROUP(18, e0, e1);
  SHA1_NI_GROUP(19, e1, e0);
  e0 = _mm_sha1nexte_epu32(e0, e_in);
  abcd = _mm_add_epi32(abcd, abcd_in);
  _mm_storeu_si128((__m128i *)h, _mm_shuffle_epi32(abcd, 0x1b));
  h[4] = (uint32_t)_mm_extract_epi32(e0, 3);
}

/** Whether this CPU has the SHA extensions (and SSSE3 and SSE4.1, which the code above uses). */
static int cpu_has_sha(void) {
  unsigned a, b, c, d;
  if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & (1u << 9)) || !(c & (1u << 19))) return 0;
  if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return 0;
  return (b >> 29) & 1;
}
#endif

/** The compression function for this CPU, picked on first use. */
static void sha1_compress(uint32_t h[5], const uint8_t *block) {
#ifdef SHA1_X86
  static int ni = -1;  // benign race: every thread computes the same answer
  if (ni < 0) ni = getenv("MDNS_SHA1_PORTABLE") == NULL && cpu_has_sha();
  if (ni) {
    sha1_block_ni(h, block);
    return;
  }
#endif
  sha1_block(h, block);
}

/** The first 32 bits of SHA-1(s) (FIPS 180-4 §6.1). */
static uint32_t sha1_head(const uint8_t *s, size_t len) {
  uint32_t h[5] = { 0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0 };
  size_t i = 0;
  for (; len - i >= 64; i += 64) sha1_compress(h, s + i);
  // The tail, 0x80, zeros and the length in bits (big-endian), in one or two blocks.
  uint8_t last[128] = { 0 };
  size_t rest = len - i;
  memcpy(last, s + i, rest);
  last[rest] = 0x80;
  size_t blocks = rest < 56 ? 1 : 2;
  uint64_t bits = (uint64_t)len * 8;
  for (int b = 0; b < 8; b++) last[blocks * 64 - 1 - b] = (uint8_t)(bits >> (8 * b));
  for (size_t b = 0; b < blocks; b++) sha1_compress(h, last + 64 * b);
  return h[0];
}

/**
 * taskHash(id): the first 25 bits of SHA-1 of the id's UTF-8 in z-base-32, computed here because
 * the build needs it for every task and a crypto call per task from JavaScript costs more than
 * the hash itself.
 */
static int32_t task_hash(Reader *r, int32_t id) {
  static const char ZBASE32[] = "ybndrfg8ejkmcpqxot1uwisza345h769";
  size_t start = id <= 0 ? 0 : (size_t)r->sends.v[id - 1];
  size_t len = id < 0 ? 0 : (size_t)r->sends.v[id] - start;
  uint32_t bits = sha1_head(len == 0 ? (const uint8_t *)"" : r->sbytes.v + start, len) >> 7;
  uint8_t text[5];
  for (int k = 0; k < 5; k++) text[k] = (uint8_t)ZBASE32[(bits >> (20 - 5 * k)) & 31];
  Str s = { text, 5, 1 };
  return append_string(r, s, 0, S_UNINDEXED);
}

// --- tasks and frameworks -----------------------------------------------------------------------

// --- resources.ports: parse-state.ts plainPortRanges, to the letter ---------------------------

static int plain_char(uint8_t c) {
  return c == ' ' || c == ',' || c == '-' || (c >= '0' && c <= '9');
}

/**
 * `[lo-hi, lo-hi]` with single spaces at most around the parts, expanded into r->task_ports
 * (1); text it must leave to the general parser in JavaScript (0: other whitespace to trim,
 * other characters). Malformed text of plain characters gives no ports, as in plainPortRanges.
 */
static int plain_port_ranges(Reader *r, Str text) {
  const uint8_t *s = text.s;
  size_t n = text.len, i = 1, end = n - 1;
  IntVec *ports = &r->task_ports;
  ports->n = 0;
  if (n < 2 || s[0] != '[' || s[n - 1] != ']') return 0;
  if (i == end) return 1;
  for (;;) {
    while (i < end && s[i] == ' ') i++;
    long lo = 0, hi = 0;
    int digits = 0;
    for (; i < end && s[i] >= '0' && s[i] <= '9'; i++, digits++) if (digits < 9) lo = lo * 10 + (s[i] - '0');
    if (digits == 0 || digits > 5 || i >= end || s[i] != '-') goto stopped;
    i++;
    digits = 0;
    for (; i < end && s[i] >= '0' && s[i] <= '9'; i++, digits++) if (digits < 9) hi = hi * 10 + (s[i] - '0');
    if (digits == 0 || digits > 5) goto stopped;
    while (i < end && s[i] == ' ') i++;
    if (i < end && s[i] != ',') goto stopped;
    if (lo > hi || hi > 65535) {
      ports->n = 0;
      return 1;
    }
    for (long p = lo; p <= hi; p++) int_push(r, ports, (int32_t)p);
    if (i == end) return 1;
    i++;  // the comma
  }
stopped:
  // plainOrMalformed: a character of its own here means malformed (no ports), else the general
  // parser decides.
  ports->n = 0;
  for (size_t k = i; k < end; k++) if (!plain_char(s[k])) return 0;
  return 1;
}

/** resources.ports: expanded here when plain (`*plain` = 1), else the text's id for JavaScript. */
typedef struct { int32_t ports; int plain; unsigned seen; } Resources;

static void resources_member(Reader *r, void *ctx, Str key) {
  Resources *res = ctx;
  if (!key_is(key, "ports")) {
    skip_value(r);
    return;
  }
  once(r, &res->seen, 1);
  if (!opt_value(r, '"')) return;
  Str text = read_string(r);
  res->plain = plain_port_ranges(r, text);
  if (!res->plain) res->ports = intern(r, text);
}

/** The fixed part of a task in the result; members arrive in any order and fill it in. */
enum { T_ID, T_NAME, T_SLAVE, T_STATE, T_PORTS, T_HASH, T_FIXED };

/** The task's `labels`, `container` and `discovery` values as strings (-1 absent), for task-addressing.ts. */
enum { SPAN_LABELS, SPAN_CONTAINER, SPAN_DISCOVERY, SPANS };

typedef struct { int32_t id[SPANS]; int any; } Spans;

typedef struct { int32_t fixed[T_FIXED]; int32_t discovery; int ports_plain; unsigned seen; Spans spans; } Task;

/** ASCII lower case. */
static uint8_t lower(uint8_t c) {
  return c >= 'A' && c <= 'Z' ? (uint8_t)(c + 32) : c;
}

/** Whether `word` (lower case) starts at s[i] in any ASCII case. */
static int word_at(const uint8_t *s, size_t len, size_t i, const char *word) {
  size_t n = strlen(word);
  if (i + n > len) return 0;
  for (size_t j = 0; j < n; j++)
    if (lower(s[i + j]) != (uint8_t)word[j]) return 0;
  return 1;
}

/**
 * Whether the value in s[0, len) can give task-addressing.ts anything: everything it reads sits
 * under a key or value holding one of these words (in some case), unless the text has an escape
 * (which could spell one). Most tasks' labels and containers have none and are not handed over.
 * One pass, testing a word only where its first letter is.
 */
static int addressing_span(const uint8_t *s, size_t len) {
  for (size_t i = 0; i < len; i++) {
    switch (lower(s[i])) {
      case '\\': return 1;
      case 'v': if (word_at(s, len, i, "vip")) return 1; break;
      case 'p': if (word_at(s, len, i, "port_mappings")) return 1; break;
      case 'n': if (word_at(s, len, i, "network-scope")) return 1; break;
      case 'm': if (word_at(s, len, i, "mesos_dns_ip_sources")) return 1; break;
      default: break;
    }
  }
  return 0;
}

/**
 * The value text s[0, len) as span `which` of the task, when addressing_span says it may matter
 * or `matters` (a container that lists its own port mappings, container_span):
 * interned, so the instances of an app (equal labels, equal containers) share one string that
 * JavaScript parses once. Its bytes were checked for JSON syntax only, so UTF-8 is checked here
 * (the JavaScript path would decode a bad sequence as U+FFFD).
 */
static void keep_span(Reader *r, Spans *t, int which, const uint8_t *s, size_t len, int matters) {
  if (!matters && !addressing_span(s, len)) return;
  int ascii = 1;
  for (size_t i = 0; i < len;) {
    if (s[i] < 0x80) {
      i++;
      continue;
    }
    size_t n = utf8_sequence(s + i, s + len);
    if (n == 0) decline(r, "invalid UTF-8 in a task's labels, container or discovery");
    ascii = 0;
    i += n;
  }
  Str text = { s, len, ascii };
  t->id[which] = intern(r, text);
  t->any = 1;
}

/** Reads the value at the cursor for syntax, keeping it as span `which` (keep_span). */
static void span_value(Reader *r, Spans *t, int which) {
  peek(r);
  const uint8_t *start = r->p;
  skip_value(r);
  keep_span(r, t, which, start, (size_t)(r->p - start), 0);
}

/** A container's own say in its port mappings: `type` "DOCKER", or a `network_infos` list. */
typedef struct { int own; unsigned seen; } ContainerOwn;

static void container_own_member(Reader *r, void *ctx, Str key) {
  ContainerOwn *c = ctx;
  // Read leniently, as task-addressing.ts containerPorts: a value of another type is no value.
  if (key_is(key, "type")) {
    once(r, &c->seen, 1);
    if (peek(r) != '"') skip_value(r);
    else if (key_is(read_string(r), "DOCKER")) c->own |= 1;
  } else if (key_is(key, "network_infos")) {
    once(r, &c->seen, 2);
    if (peek(r) == '[') c->own |= 2;
    skip_value(r);
  } else {
    skip_value(r);
  }
}

/**
 * The task's `container` as span SPAN_CONTAINER: handed over when it holds a word the addressing
 * rules read, and also when it lists its own port mappings (a DOCKER one, or one with a
 * network_infos list), which keeps the statuses' port mappings (a pod's task's) from counting.
 */
static void container_span(Reader *r, Spans *t) {
  if (peek(r) != '{') {
    span_value(r, t, SPAN_CONTAINER);
    return;
  }
  const uint8_t *start = r->p;
  ContainerOwn c = { 0, 0 };
  read_object(r, &c, container_own_member);
  keep_span(r, t, SPAN_CONTAINER, start, (size_t)(r->p - start), c.own != 0);
}

static void task_member(Reader *r, void *ctx, Str key) {
  Task *t = ctx;
  if (key_is(key, "id")) once(r, &t->seen, 1), t->fixed[T_ID] = opt_unique_string(r);
  else if (key_is(key, "name")) once(r, &t->seen, 2), t->fixed[T_NAME] = opt_string(r);
  else if (key_is(key, "slave_id")) once(r, &t->seen, 4), t->fixed[T_SLAVE] = opt_string(r);
  else if (key_is(key, "state")) once(r, &t->seen, 8), t->fixed[T_STATE] = opt_string(r);
  else if (key_is(key, "framework_id")) once(r, &t->seen, 16), check_string(r);  // replaced by the framework's id
  else if (key_is(key, "resources")) {
    once(r, &t->seen, 32);
    if (!opt_value(r, '{')) return;
    Resources res = { -1, 0, 0 };
    read_object(r, &res, resources_member);
    t->fixed[T_PORTS] = res.ports;
    t->ports_plain = res.plain;
  } else if (key_is(key, "statuses")) {
    once(r, &t->seen, 64);
    if (opt_value(r, '[')) read_array(r, NULL, status_element);
  } else if (key_is(key, "labels")) {
    once(r, &t->seen, 256);
    span_value(r, &t->spans, SPAN_LABELS);
  } else if (key_is(key, "container")) {
    once(r, &t->seen, 512);
    container_span(r, &t->spans);
  } else if (key_is(key, "discovery")) {
    once(r, &t->seen, 128);
    const uint8_t *start = (peek(r), r->p);
    if (!opt_value(r, '{')) return;
    Discovery d = { -1, 0 };
    read_object(r, &d, discovery_member);
    keep_span(r, &t->spans, SPAN_DISCOVERY, start, (size_t)(r->p - start), 0);
    // mesos-dns ignores DiscoveryInfo without a name (its ports are then not read either).
    if (nonempty(r, d.name)) t->discovery = d.name;
    else r->ports.n = 0;
  } else {
    skip_value(r);
  }
}

/** Before a task of either form is read: no running status, discovery ports or host ports yet. */
static void task_reset(Reader *r) {
  status_reset(&r->best);
  r->best_net = 0;
  r->ports.n = 0;
  r->task_ports.n = 0;
}

/**
 * After a task's statuses: r->best as the task's running status, with the network IPs of the
 * newest RUNNING status that has any when the newest has none (runningNetwork / keepNetwork: a
 * health-check update must not take the container address away). Returns r->best.
 */
static Status *task_running(Reader *r) {
  Status *b = &r->best;
  if (r->best_net && b->net.n == 0) {
    b->net.n = b->names.n = 0;
    ints_append(r, &b->net, &r->net);
    ints_append(r, &b->names, &r->names);
    b->has_container = 1;
    // The port mappings go with the addresses (keepNetwork).
    b->port_mapped = r->net_port_mapped;
    b->maps.n = 0;
    ints_append(r, &b->maps, &r->net_maps);
  }
  return b;
}

/** The running part of a task in either result: timestamp index, healthy, the network IPs and
 * their names, the Mesos and Docker label IPs (the layouts in this file's and operator-state.h's headers). */
static void push_running(Reader *r, IntVec *out, const Status *b) {
  if (r->numbers.n == r->numbers.cap) r->numbers.v = grow(r, r->numbers.v, &r->numbers.cap, r->numbers.n + 1, sizeof(double));
  int_push(r, out, (int32_t)r->numbers.n);
  r->numbers.v[r->numbers.n++] = b->timestamp;
  int_push(r, out, b->healthy);
  int_push(r, out, b->port_mapped);
  int_push(r, out, (int32_t)(b->maps.n / 3));
  ints_append(r, out, &b->maps);
  int_push(r, out, (int32_t)b->net.n);
  ints_append(r, out, &b->net);
  ints_append(r, out, &b->names);
  int_push(r, out, (int32_t)b->mesos.n);
  ints_append(r, out, &b->mesos);
  int_push(r, out, (int32_t)b->docker.n);
  ints_append(r, out, &b->docker);
}

/** A task's spans in either result, when it has any (flag 16). */
static void push_spans(Reader *r, IntVec *out, const Spans *spans) {
  if (spans->any) for (int i = 0; i < SPANS; i++) int_push(r, out, spans->id[i]);
}

static void read_task(Reader *r, void *ctx) {
  (void)ctx;
  need_object(r);
  Task t = { { -1, -1, -1, -1, -1, -1 }, -1, 0, 0, { { -1, -1, -1 }, 0 } };
  task_reset(r);
  read_object(r, &t, task_member);
  t.fixed[T_HASH] = task_hash(r, t.fixed[T_ID]);
  IntVec *out = &r->frameworks;
  for (int i = 0; i < T_FIXED; i++) int_push(r, out, t.fixed[i]);
  Status *b = task_running(r);
  int_push(r, out, (b->running ? 1 | (b->has_container ? 4 : 0) : 0) | (t.discovery >= 0 ? 2 : 0) | (t.ports_plain ? 8 : 0) | (t.spans.any ? 16 : 0));
  if (t.ports_plain) {
    int_push(r, out, (int32_t)r->task_ports.n);
    ints_append(r, out, &r->task_ports);
  }
  if (b->running) push_running(r, out, b);
  if (t.discovery >= 0) {
    int_push(r, out, t.discovery);
    int_push(r, out, (int32_t)(r->ports.n / 3));
    ints_append(r, out, &r->ports);
  }
  push_spans(r, out, &t.spans);
}

static void task_element(Reader *r, void *ctx) {
  Elements *list = ctx;
  list->kept += element(r, K_TASK, list->framework, (long)list->index++, read_task, NULL);
}

/** A framework: id, name, hostname, pid and its task count go before its tasks in the result. */
enum { F_ID, F_NAME, F_HOSTNAME, F_PID, F_TASKS, F_FIXED };

typedef struct { int32_t fixed[F_FIXED]; size_t index; unsigned seen; } Framework;

static void framework_member(Reader *r, void *ctx, Str key) {
  Framework *f = ctx;
  if (key_is(key, "id")) once(r, &f->seen, 1), f->fixed[F_ID] = opt_string(r);
  else if (key_is(key, "name")) once(r, &f->seen, 2), f->fixed[F_NAME] = opt_string(r);
  else if (key_is(key, "hostname")) once(r, &f->seen, 4), f->fixed[F_HOSTNAME] = opt_string(r);
  else if (key_is(key, "pid")) once(r, &f->seen, 8), f->fixed[F_PID] = opt_pid(r);
  else if (key_is(key, "tasks")) {
    once(r, &f->seen, 16);
    if (!opt_value(r, '[')) return;
    Elements tasks = { 0, 0, f->index };
    read_array(r, &tasks, task_element);
    f->fixed[F_TASKS] = (int32_t)tasks.kept;
  } else {
    skip_value(r);
  }
}

static void read_framework(Reader *r, void *ctx) {
  size_t index = *(size_t *)ctx;
  need_object(r);
  // The tasks are written while the object is read, so the fixed part is reserved in front of
  // them and filled in at the end.
  size_t at = r->frameworks.n;
  for (int i = 0; i < F_FIXED; i++) int_push(r, &r->frameworks, -1);
  Framework f = { { -1, -1, -1, -1, 0 }, index, 0 };
  read_object(r, &f, framework_member);
  memcpy(r->frameworks.v + at, f.fixed, sizeof f.fixed);
}

static void framework_element(Reader *r, void *ctx) {
  Elements *list = ctx;
  size_t index = list->index++;
  list->kept += element(r, K_FRAMEWORK, index, -1, read_framework, &index);
}

typedef struct { Elements frameworks; Elements agents; unsigned seen; } Top;

static void top_member(Reader *r, void *ctx, Str key) {
  Top *top = ctx;
  if (key_is(key, "leader")) once(r, &top->seen, 1), r->leader = opt_string(r);
  else if (key_is(key, "slaves")) {
    once(r, &top->seen, 2);
    if (opt_value(r, '[')) read_array(r, &top->agents, agent_element);
  } else if (key_is(key, "frameworks")) {
    once(r, &top->seen, 4);
    if (opt_value(r, '[')) read_array(r, &top->frameworks, framework_element);
  } else {
    skip_value(r);
  }
}

static void free_reader(Reader *r) {
  free(r->agents.v);
  free(r->frameworks.v);
  free(r->numbers.v);
  free(r->sbytes.v);
  free(r->sends.v);
  free(r->sascii.v);
  free(r->shashes.v);
  free(r->slots);
  free(r->scratch.v);
  free(r->cur.net.v), free(r->cur.mesos.v), free(r->cur.docker.v);
  free(r->best.net.v), free(r->best.mesos.v), free(r->best.docker.v);
  free(r->cur.names.v), free(r->best.names.v), free(r->net.v), free(r->names.v);
  free(r->cur.maps.v), free(r->best.maps.v), free(r->net_maps.v);
  free(r->ports.v);
  free(r->task_ports.v);
  free(r->skipped.v);
}

// The Operator API's SUBSCRIBED record: the same scanner, string table and element(), v1 shapes.
#include "operator-state.h"

// --- Node-API ---------------------------------------------------------------------------------

/** A new ArrayBuffer holding a copy of `bytes` bytes at `data`. */
static napi_value copy_out(napi_env env, const void *data, size_t bytes, napi_typedarray_type type, size_t length) {
  void *target;
  napi_value buffer, array;
  if (napi_create_arraybuffer(env, bytes, &target, &buffer) != napi_ok) return NULL;
  if (bytes > 0) memcpy(target, data, bytes);
  if (napi_create_typedarray(env, type, length, buffer, 0, &array) != napi_ok) return NULL;
  return array;
}

static int set(napi_env env, napi_value obj, const char *name, napi_value value) {
  return value != NULL && napi_set_named_property(env, obj, name, value) == napi_ok;
}

/** A reader over `length` bytes at `data`, of which `stream` may not have brought all yet. */
static Reader *new_reader(const uint8_t *data, size_t length, Stream *stream) {
  Reader *r = calloc(1, sizeof(Reader));
  if (r == NULL) return NULL;
  r->base = r->p = data;
  r->end = data + length;
  r->stream = stream;
  r->leader = -1;
  status_reset(&r->cur);
  status_reset(&r->best);
  return r;
}

/** Reads the whole document; 0 if it declined (r->why says why). */
static int read_document(Reader *r, Top *top) {
  if (setjmp(r->fail) != 0) return 0;
  if (peek(r) != '{') decline(r, "not a JSON object");
  read_object(r, top, top_member);
  ws(r);
  if (r->p != r->end) decline(r, "syntax");
  return 1;
}

/** The result for JavaScript: the extracted fields, or the reason string; NULL on a Node-API failure. */
static napi_value result_of(napi_env env, Reader *r, const Top *top, int ok) {
  napi_value result;
  if (!ok) return napi_create_string_utf8(env, r->why, NAPI_AUTO_LENGTH, &result) == napi_ok ? result : NULL;
  int made = napi_create_object(env, &result) == napi_ok;
  napi_value leader, frameworks;
  made = made && napi_create_int32(env, r->leader, &leader) == napi_ok && set(env, result, "leader", leader);
  made = made && napi_create_int32(env, (int32_t)top->frameworks.kept, &frameworks) == napi_ok && set(env, result, "frameworkCount", frameworks);
  made = made && set(env, result, "agents", copy_out(env, r->agents.v, r->agents.n * 4, napi_int32_array, r->agents.n));
  made = made && set(env, result, "frameworks", copy_out(env, r->frameworks.v, r->frameworks.n * 4, napi_int32_array, r->frameworks.n));
  made = made && set(env, result, "numbers", copy_out(env, r->numbers.v, r->numbers.n * 8, napi_float64_array, r->numbers.n));
  made = made && set(env, result, "stringBytes", copy_out(env, r->sbytes.v, r->sbytes.n, napi_uint8_array, r->sbytes.n));
  made = made && set(env, result, "stringEnds", copy_out(env, r->sends.v, r->sends.n * 4, napi_int32_array, r->sends.n));
  made = made && set(env, result, "stringAscii", copy_out(env, r->sascii.v, r->sascii.n, napi_uint8_array, r->sascii.n));
  made = made && set(env, result, "skipped", copy_out(env, r->skipped.v, r->skipped.n * 8, napi_float64_array, r->skipped.n));
  return made ? result : NULL;
}

/** The SUBSCRIBED record's result for JavaScript (operator-state.h's header), or the reason string. */
static napi_value subscribed_result_of(napi_env env, Reader *r, const V1Top *t, int ok) {
  napi_value result;
  if (!ok) return napi_create_string_utf8(env, r->why, NAPI_AUTO_LENGTH, &result) == napi_ok ? result : NULL;
  int made = napi_create_object(env, &result) == napi_ok;
  napi_value heartbeat, distinct;
  made = made && napi_create_double(env, t->heartbeat, &heartbeat) == napi_ok && set(env, result, "heartbeat", heartbeat);
  made = made && napi_create_int32(env, t->distinct, &distinct) == napi_ok && set(env, result, "taskIdsDistinct", distinct);
  made = made && set(env, result, "agents", copy_out(env, r->agents.v, r->agents.n * 4, napi_int32_array, r->agents.n));
  made = made && set(env, result, "frameworks", copy_out(env, t->frameworks.v, t->frameworks.n * 4, napi_int32_array, t->frameworks.n));
  made = made && set(env, result, "tasks", copy_out(env, r->frameworks.v, r->frameworks.n * 4, napi_int32_array, r->frameworks.n));
  made = made && set(env, result, "recovered", copy_out(env, t->recovered.v, t->recovered.n * 4, napi_int32_array, t->recovered.n));
  made = made && set(env, result, "numbers", copy_out(env, r->numbers.v, r->numbers.n * 8, napi_float64_array, r->numbers.n));
  made = made && set(env, result, "stringBytes", copy_out(env, r->sbytes.v, r->sbytes.n, napi_uint8_array, r->sbytes.n));
  made = made && set(env, result, "stringEnds", copy_out(env, r->sends.v, r->sends.n * 4, napi_int32_array, r->sends.n));
  made = made && set(env, result, "stringAscii", copy_out(env, r->sascii.v, r->sascii.n, napi_uint8_array, r->sascii.n));
  made = made && set(env, result, "skipped", copy_out(env, r->skipped.v, r->skipped.n * 8, napi_float64_array, r->skipped.n));
  return made ? result : NULL;
}

/** A Uint8Array argument's bytes, or 0. */
static int bytes_arg(napi_env env, napi_value value, uint8_t **data, size_t *length) {
  napi_typedarray_type type;
  void *p;
  if (napi_get_typedarray_info(env, value, &type, length, &p, NULL, NULL) != napi_ok || type != napi_uint8_array) return 0;
  *data = p;
  return 1;
}

/** read(bytes: Uint8Array): the extracted fields, or a string saying why it declined. */
static napi_value Read(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  uint8_t *data;
  size_t length;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 || !bytes_arg(env, argv[0], &data, &length)) goto failed;
  Reader *r = new_reader(data, length, NULL);
  if (r == NULL) goto failed;
  Top top = { { 0, 0, 0 }, { 0, 0, 0 }, 0 };
  int ok = read_document(r, &top);
  napi_value result = result_of(env, r, &top, ok);
  free_reader(r);
  free(r);
  if (result != NULL) return result;
failed:
  napi_throw_error(env, NULL, "state-reader: bad call or out of memory");
  return NULL;
}

/** readSubscribed(bytes: Uint8Array): a SUBSCRIBED record's fields, or a string saying why it declined. */
static napi_value ReadSubscribed(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  uint8_t *data;
  size_t length;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 || !bytes_arg(env, argv[0], &data, &length)) goto failed;
  Reader *r = new_reader(data, length, NULL);
  if (r == NULL) goto failed;
  V1Top top;
  v1_init(&top);
  int ok = read_subscribed(r, &top);
  napi_value result = subscribed_result_of(env, r, &top, ok);
  v1_free(&top);
  free_reader(r);
  free(r);
  if (result != NULL) return result;
failed:
  napi_throw_error(env, NULL, "state-reader: bad call or out of memory");
  return NULL;
}

// --- a document that is still arriving ------------------------------------------------------------
//
// open(buffer) starts a reader thread over a buffer that JavaScript fills in order; push(handle,
// filled) says how far it is filled; finish(handle, filled) says it is complete, waits for the
// reader and gives read()'s result; cancel(handle) stops and discards it. The buffer is held by a
// reference until then, so its bytes stay where the reader looks.

typedef struct {
  Reader *r;
  Stream stream;
  int kind;  // what the buffer holds: DOC_STATE (/master/state) or DOC_SUBSCRIBED (the stream's first record)
  Top top;
  V1Top v1;
  size_t capacity;  // the buffer's length
  napi_ref buffer;
  int done;  // finished or cancelled: the thread is joined and the reader freed
} Handle;

enum { DOC_STATE, DOC_SUBSCRIBED };

static void *reader_thread(void *arg) {
  Handle *h = arg;
  h->stream.ok = h->kind == DOC_SUBSCRIBED ? read_subscribed(h->r, &h->v1) : read_document(h->r, &h->top);
  return NULL;
}

/** Lets the reader see `filled` bytes, and the end if `eof`. */
static void fill(Handle *h, size_t filled, int eof, int cancel) {
  Stream *s = &h->stream;
  pthread_mutex_lock(&s->mu);
  if (filled > s->avail) s->avail = filled;
  if (eof) s->eof = 1;
  if (cancel) __atomic_store_n(&s->cancelled, 1, __ATOMIC_RELAXED);
  pthread_cond_signal(&s->cv);
  pthread_mutex_unlock(&s->mu);
}

/** Ends the reader (waiting for its thread) and frees it. */
static void close_handle(napi_env env, Handle *h, int cancel) {
  if (h->done) return;
  fill(h, 0, 1, cancel);
  pthread_join(h->stream.thread, NULL);
  h->done = 1;
  if (h->buffer != NULL) napi_delete_reference(env, h->buffer);
  h->buffer = NULL;
}

/** Frees what the reader holds (the handle itself lives on until JavaScript drops it). */
static void release_reader(Handle *h) {
  v1_free(&h->v1);
  free_reader(h->r);
  memset(h->r, 0, sizeof *h->r);
}

static void free_handle(Handle *h) {
  pthread_mutex_destroy(&h->stream.mu);
  pthread_cond_destroy(&h->stream.cv);
  v1_free(&h->v1);
  free_reader(h->r);
  free(h->r);
  free(h);
}

/** A handle dropped without finish() or cancel(): stop its reader. */
static void finalize_handle(napi_env env, void *data, void *hint) {
  (void)hint;
  Handle *h = data;
  close_handle(env, h, 1);
  free_handle(h);
}

static Handle *handle_arg(napi_env env, napi_callback_info info, size_t *filled) {
  size_t argc = 2;
  napi_value argv[2];
  void *data;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1) return NULL;
  if (napi_get_value_external(env, argv[0], &data) != napi_ok) return NULL;
  Handle *h = data;
  if (filled != NULL) {
    double n;
    if (argc < 2 || napi_get_value_double(env, argv[1], &n) != napi_ok || !(n >= 0)) return NULL;
    *filled = n > (double)h->capacity ? h->capacity : (size_t)n;
  }
  return h;
}

/**
 * open(buffer: Uint8Array, subscribed?: boolean): a handle whose reader reads the buffer as it is
 * filled, as a /master/state document, or as a SUBSCRIBED record when `subscribed` is true.
 */
static napi_value Open(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2], external;
  uint8_t *data;
  size_t length;
  bool subscribed = false;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 || !bytes_arg(env, argv[0], &data, &length)) goto failed;
  if (argc >= 2 && napi_get_value_bool(env, argv[1], &subscribed) != napi_ok) subscribed = false;
  Handle *h = calloc(1, sizeof(Handle));
  if (h == NULL) goto failed;
  h->kind = subscribed ? DOC_SUBSCRIBED : DOC_STATE;
  v1_init(&h->v1);
  // Nothing is there yet: the reader's end starts at the start, and more() moves it as push()
  // reports bytes.
  h->r = new_reader(data, 0, &h->stream);
  if (h->r == NULL) {
    free(h);
    goto failed;
  }
  h->capacity = length;
  pthread_mutex_init(&h->stream.mu, NULL);
  pthread_cond_init(&h->stream.cv, NULL);
  if (napi_create_reference(env, argv[0], 1, &h->buffer) != napi_ok) {
    h->done = 1;
    free_handle(h);
    goto failed;
  }
  if (pthread_create(&h->stream.thread, NULL, reader_thread, h) != 0) {
    napi_delete_reference(env, h->buffer);
    h->done = 1;
    free_handle(h);
    goto failed;
  }
  if (napi_create_external(env, h, finalize_handle, NULL, &external) != napi_ok) {
    close_handle(env, h, 1);
    free_handle(h);
    goto failed;
  }
  return external;
failed:
  napi_throw_error(env, NULL, "state-reader: bad call or out of memory");
  return NULL;
}

/** push(handle, filled): the first `filled` bytes of the buffer are in place. */
static napi_value Push(napi_env env, napi_callback_info info) {
  size_t filled;
  Handle *h = handle_arg(env, info, &filled);
  if (h == NULL) {
    napi_throw_error(env, NULL, "state-reader: bad call");
    return NULL;
  }
  if (!h->done) fill(h, filled, 0, 0);
  return NULL;
}

/** finish(handle, filled): the document is complete; read()'s result for it. */
static napi_value Finish(napi_env env, napi_callback_info info) {
  size_t filled;
  Handle *h = handle_arg(env, info, &filled);
  if (h == NULL || h->done) {
    napi_throw_error(env, NULL, "state-reader: bad call");
    return NULL;
  }
  fill(h, filled, 1, 0);
  close_handle(env, h, 0);
  napi_value result = h->kind == DOC_SUBSCRIBED ? subscribed_result_of(env, h->r, &h->v1, h->stream.ok) : result_of(env, h->r, &h->top, h->stream.ok);
  release_reader(h);
  if (result == NULL) napi_throw_error(env, NULL, "state-reader: out of memory");
  return result;
}

/** cancel(handle): the document will not be completed; stop its reader. */
static napi_value Cancel(napi_env env, napi_callback_info info) {
  Handle *h = handle_arg(env, info, NULL);
  if (h == NULL) {
    napi_throw_error(env, NULL, "state-reader: bad call");
    return NULL;
  }
  close_handle(env, h, 1);
  release_reader(h);
  return NULL;
}

/**
 * trimMalloc(): gives glibc's free pages inside its arenas back to the system (malloc_trim(0));
 * true when some were. Free chunks between live ones are never returned by free() itself: after
 * a 100,000-task stream start the main arena held ~12 MB of them resident (docs/performance.md).
 * False, doing nothing, without glibc.
 */
static napi_value TrimMalloc(napi_env env, napi_callback_info info) {
  (void)info;
  int released = 0;
#ifdef __GLIBC__
  released = malloc_trim(0);
#endif
  napi_value result;
  if (napi_get_boolean(env, released != 0, &result) != napi_ok) return NULL;
  return result;
}

NAPI_MODULE_INIT() {
  static const struct { const char *name; napi_callback fn; } functions[] = {
    { "read", Read }, { "readSubscribed", ReadSubscribed }, { "open", Open }, { "push", Push }, { "finish", Finish }, { "cancel", Cancel },
    { "trimMalloc", TrimMalloc },
  };
  for (size_t i = 0; i < sizeof functions / sizeof functions[0]; i++) {
    napi_value fn;
    if (napi_create_function(env, functions[i].name, NAPI_AUTO_LENGTH, functions[i].fn, NULL, &fn) != napi_ok) return NULL;
    if (napi_set_named_property(env, exports, functions[i].name, fn) != napi_ok) return NULL;
  }
  return exports;
}
