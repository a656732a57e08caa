// Memory-safety fuzzing of native/state-reader.c, built by test/read-state-pieces.test.ts with
// AddressSanitizer and UndefinedBehaviorSanitizer: seed documents damaged at random (cut, a byte
// overwritten, a token inserted), each read whole and some also streamed in random pieces on the
// reader's thread (sometimes cancelled half way). Any out-of-bounds access, leak, undefined
// behaviour or a streamed read that disagrees with the whole read (its fields or the elements it
// left out as malformed) fails the run.
//
// The Node-API calls are replaced by a stub before the reader's source is included, so the
// reader's own code is what runs, without Node.
//
// Usage: state-reader-fuzz [--subscribed] SEED... -n ITERATIONS; prints "ok N declined M partial P"
// (P of the N read with some element left out). With --subscribed the seeds are the Operator API
// stream's SUBSCRIBED records, read by native/operator-state.h (read_subscribed).
#include <node_api.h>
#include <stdio.h>

static napi_status fuzz_stub(void) { return napi_generic_failure; }
#define napi_create_string_utf8(...) fuzz_stub()
#define napi_create_object(...) fuzz_stub()
#define napi_create_int32(...) fuzz_stub()
#define napi_create_arraybuffer(...) fuzz_stub()
#define napi_create_typedarray(...) fuzz_stub()
#define napi_set_named_property(...) fuzz_stub()
#define napi_get_cb_info(...) fuzz_stub()
#define napi_get_typedarray_info(...) fuzz_stub()
#define napi_throw_error(...) fuzz_stub()
#define napi_create_function(...) fuzz_stub()
#define napi_get_value_external(...) fuzz_stub()
#define napi_get_value_double(...) fuzz_stub()
#define napi_create_reference(...) fuzz_stub()
#define napi_delete_reference(...) fuzz_stub()
#define napi_create_external(...) fuzz_stub()
#define napi_create_double(...) fuzz_stub()
#define napi_get_value_bool(...) fuzz_stub()
#include "../../native/state-reader.c"

static uint64_t seed_state = 0x9e3779b97f4a7c15ull;
static uint64_t next(void) {
  seed_state ^= seed_state << 13;
  seed_state ^= seed_state >> 7;
  seed_state ^= seed_state << 17;
  return seed_state;
}

static uint8_t *load(const char *file, size_t *n) {
  FILE *f = fopen(file, "rb");
  if (f == NULL) return NULL;
  fseek(f, 0, SEEK_END);
  *n = (size_t)ftell(f);
  fseek(f, 0, SEEK_SET);
  uint8_t *b = malloc(*n);
  if (b == NULL || fread(b, 1, *n, f) != *n) exit(2);
  fclose(f);
  return b;
}

static const char *const TOKENS[] = {
  "\"", "\\", "{", "}", "[", "]", ",", ":", " ", "0", "-", "e", "E", ".", "null", "true", "1e999",
  "\\u", "\\ud800", "\\udc00", "\\ud83d\\ude00", "\xff", "\xc3", "\xe2\x82", "\x01", "-0",
  "9999999999999999999999", "\"TASK_RUNNING\"", "[[[[[[[[", "}}}}", "\"ports\":", "\"tasks\":",
  "\"statuses\":", "\"ip_addresses\":[{}],", "\"discovery\":{\"name\":\"d\",\"ports\":{\"ports\":[{}]}},",
  // A status's port mappings and a container's own say in them (a pod's task's host ports).
  "\"port_mappings\":[{\"host_port\":31000}],", "\"host_port\":\"65535\",", "\"type\":\"DOCKER\",", "\"network_infos\":[],",
  // Whole mappings a VIP reads (statusPortMappings): container port, host port, protocol.
  "\"port_mappings\":[{\"host_port\":31000,\"container_port\":80,\"protocol\":\"tcp\"},{\"container_port\":\"81\",\"host_port\":1,\"protocol\":\"UDP\"}],",
  "\"container_port\":80,", "\"protocol\":\"tcp\",", "\"protocol\":\"Udp\",",
};

/** Members of the wrong type, put right after a `{`: the element there becomes malformed. */
static const char *const MEMBERS[] = {
  "\"name\":5,", "\"statuses\":\"s\",", "\"pid\":null,", "\"id\":[],", "\"timestamp\":\"t\",", "\"ports\":{},",
  "\"tasks\":1,", "\"labels\":[7],", "\"number\":1.5,", "\"healthy\":0,",
  // The v1 form's (operator-state.h).
  "\"task_id\":5,", "\"agent_info\":[],", "\"framework_info\":1,", "\"ranges\":[],", "\"begin\":\"x\",",
  "\"value\":\"\",", "\"resources\":{},", "\"labels\":{\"labels\":5},", "\"end\":70000,",
};

/** --subscribed: the seeds are SUBSCRIBED records. */
static int subscribed_mode = 0;

/** Reads doc[0..n) streamed in random pieces; 1 if it read, 0 if it declined, -1 if cancelled. */
static int streamed(const uint8_t *doc, size_t n, Reader **out, V1Top *v1) {
  Handle *h = calloc(1, sizeof(Handle));
  h->kind = subscribed_mode ? DOC_SUBSCRIBED : DOC_STATE;
  v1_init(&h->v1);
  h->r = new_reader(doc, 0, &h->stream);
  h->capacity = n;
  pthread_mutex_init(&h->stream.mu, NULL);
  pthread_cond_init(&h->stream.cv, NULL);
  pthread_create(&h->stream.thread, NULL, reader_thread, h);
  int cancel = next() % 8 == 0;
  size_t filled = 0;
  while (filled < n) {
    filled += 1 + next() % 700;
    if (filled > n) filled = n;
    fill(h, filled, 0, 0);
    if (cancel && next() % 3 == 0) break;
  }
  fill(h, filled, 1, cancel);
  pthread_join(h->stream.thread, NULL);
  int ok = cancel ? -1 : h->stream.ok;
  *out = h->r;
  *v1 = h->v1;
  pthread_mutex_destroy(&h->stream.mu);
  pthread_cond_destroy(&h->stream.cv);
  free(h);
  return ok;
}

int main(int argc, char **argv) {
  uint8_t *seeds[16];
  size_t sizes[16], seed_count = 0, largest = 0;
  long iterations = 1000;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--subscribed") == 0) {
      subscribed_mode = 1;
    } else if (strcmp(argv[i], "-n") == 0 && i + 1 < argc) {
      iterations = atol(argv[++i]);
    } else if (seed_count < 16) {
      seeds[seed_count] = load(argv[i], &sizes[seed_count]);
      if (seeds[seed_count] == NULL) return 2;
      if (sizes[seed_count] > largest) largest = sizes[seed_count];
      seed_count++;
    }
  }
  if (seed_count == 0) return 2;
  size_t room = largest + 64 * 64;
  uint8_t *doc = malloc(room);
  long read = 0, declined = 0, partial = 0;
  for (long it = 0; it < iterations; it++) {
    size_t which = (size_t)it % seed_count, n = sizes[which];
    memcpy(doc, seeds[which], n);
    for (int m = 1 + next() % 4; m > 0; m--) {
      size_t at = n == 0 ? 0 : next() % n;
      int kind = next() % 5;
      if (kind == 4) {
        const uint8_t *brace = memchr(doc + at, '{', n - at);
        const char *t = MEMBERS[next() % (sizeof MEMBERS / sizeof MEMBERS[0])];
        size_t len = strlen(t);
        if (brace == NULL || n + len > room) continue;
        at = (size_t)(brace - doc) + 1;
        memmove(doc + at + len, doc + at, n - at);
        memcpy(doc + at, t, len);
        n += len;
      } else if (kind == 0) {
        n = at;
      } else if (kind == 1 && n > 0) {
        doc[at] = (uint8_t)next();
      } else {
        const char *t = TOKENS[next() % (sizeof TOKENS / sizeof TOKENS[0])];
        size_t len = strlen(t);
        if (n + len > room) continue;
        memmove(doc + at + len, doc + at, n - at);
        memcpy(doc + at, t, len);
        n += len;
      }
    }
    // Each case in a buffer of exactly its size, so that a read past the end is caught.
    uint8_t *exact = malloc(n == 0 ? 1 : n);
    memcpy(exact, doc, n);
    Reader *whole = new_reader(exact, n, NULL);
    Top top = { { 0, 0, 0 }, { 0, 0, 0 }, 0 };
    V1Top v1;
    v1_init(&v1);
    int ok = subscribed_mode ? read_subscribed(whole, &v1) : read_document(whole, &top);
    if (ok) read++;
    else declined++;
    if (ok && whole->skipped.n > 0) partial++;
    if (it % 4 == 0) {
      Reader *pieces;
      V1Top v1_pieces;
      int streamed_ok = streamed(exact, n, &pieces, &v1_pieces);
      if (streamed_ok >= 0 && (streamed_ok != ok || (ok && (pieces->frameworks.n != whole->frameworks.n ||
          v1_pieces.frameworks.n != v1.frameworks.n || v1_pieces.recovered.n != v1.recovered.n ||
          (v1.frameworks.n > 0 && memcmp(v1_pieces.frameworks.v, v1.frameworks.v, v1.frameworks.n * sizeof(int32_t)) != 0) ||
          (v1.recovered.n > 0 && memcmp(v1_pieces.recovered.v, v1.recovered.v, v1.recovered.n * sizeof(int32_t)) != 0) ||
          pieces->agents.n != whole->agents.n || pieces->sbytes.n != whole->sbytes.n || pieces->skipped.n != whole->skipped.n ||
          (whole->skipped.n > 0 && memcmp(pieces->skipped.v, whole->skipped.v, whole->skipped.n * sizeof(double)) != 0) ||
          (whole->frameworks.n > 0 && memcmp(pieces->frameworks.v, whole->frameworks.v, whole->frameworks.n * sizeof(int32_t)) != 0) ||
          (whole->sbytes.n > 0 && memcmp(pieces->sbytes.v, whole->sbytes.v, whole->sbytes.n) != 0))))) {
        fprintf(stderr, "case %ld: read in pieces (%d) differs from read whole (%d)\n", it, streamed_ok, ok);
        return 1;
      }
      free_reader(pieces);
      free(pieces);
      v1_free(&v1_pieces);
    }
    v1_free(&v1);
    free_reader(whole);
    free(whole);
    free(exact);
  }
  for (size_t i = 0; i < seed_count; i++) free(seeds[i]);
  free(doc);
  printf("ok %ld declined %ld partial %ld\n", read, declined, partial);
  return 0;
}
