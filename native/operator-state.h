// Reads the Operator API's SUBSCRIBED event (the first RecordIO record of the SUBSCRIBE stream,
// v1 JSON, master.proto) and keeps only what src/mesos/operator-state.ts reads: the snapshot's
// agents, frameworks and tasks and the recovered agents' ids. Included by state-reader.c after its
// JSON scanner, string table, element(), task hash and task pieces (the running-status choice,
// push_running, the addressing spans), which it uses as they are; only the v1 shapes are here. src/mesos/read-subscribed.ts turns the result into the same StreamState.
//
// The contract is the /master/state reader's (see state-reader.c's header), against
// JSON.parse + streamStateFromGetState / recoveredAgentIds: it reads a record exactly as they do
// or declines it, and the JavaScript path then reads it and writes the error. It declines:
//   - anything state-reader.c declines (syntax, a key it reads twice in one object, bad UTF-8 or
//     a lone surrogate in a kept string, a number not converted exactly, nesting);
//   - an event whose `type` is not "SUBSCRIBED", no `subscribed` or `get_state` object, a
//     get_agents / get_frameworks / get_tasks that is not an object or null, an agents /
//     recovered_agents / frameworks / tasks list that is not an array or null (the snapshot's own
//     shape: the JavaScript path refuses the whole record).
// A malformed agent, framework or task is left out and recorded (element()); it is checked more
// strictly than operator-state.ts checks it in places (every status's fields, not only the
// TASK_RUNNING ones'; a resource's ranges whatever its name; ports given as text other than plain
// digits), so read-subscribed.ts has operator-state.ts judge each recorded element again from its
// bytes and declines the record when that one would have kept it. A malformed recovered_agents
// entry is passed over, as operator-state.ts passes it over, and recorded (kind 3) so that
// read-subscribed.ts can check that one too.
//
// Result (Int32 string ids, -1 for absent or null):
//   heartbeat (double):  subscribed.heartbeat_interval_seconds, NaN when absent or not a number
//   agents:      per agent  agent_info.id, agent_info.hostname, pid
//   frameworks:  per framework  framework_info.id, .name, .hostname
//   tasks:       per task  task_id, name, framework_id, agent_id, state, taskHash(task_id),
//                flags (1 a TASK_RUNNING status, 2 discovery, 16 addressing spans), n, ports...
//                (resources named "ports", ranges expanded in order), then
//                if running:   timestamp index (into `numbers`), healthy (-1 absent, 0, 1),
//                              port mapped (1: the status the network IPs come from has a port
//                              mapping with a host_port, statusPortMapped; else 0),
//                              m, then m port mappings: container port, host port, protocol (0
//                              tcp, 1 udp) (statusPortMappings),
//                              n, network IPs..., their n network names (-1: none),
//                              n, Mesos label IPs..., n, Docker label IPs...
//                              (the network IPs are those of the newest RUNNING status that has
//                              any, which may be older than the one the rest comes from)
//                if discovery: name, n, then per port  number, protocol, name
//                if spans:     the texts (string ids) of the task's `labels`, `container` and
//                              `discovery` values (-1 when not given), handed over as
//                              state-reader.c does (keep_span: only when one may matter to
//                              src/mesos/task-addressing.ts, interned)
//   recovered:   the ids of get_agents.recovered_agents[] that have one
//   taskIdsDistinct:  1 when no two tasks kept have the same task_id (distinct_task_ids), else 0
//   skipped (Float64):  per element left out  kind (0 agent, 1 framework, 2 task, 3 recovered
//                agent), its index in its list, -1, its first and past-the-end byte offsets

typedef struct {
  IntVec frameworks;  // per framework: id, name, hostname
  IntVec recovered;   // agent ids
  IntVec task_ids;    // the kept tasks' ids, for distinct_task_ids()
  double heartbeat;
  Elements agents, framework_list, tasks, recovered_list;
  // Keys seen per object of the record's own shape (each object occurs once).
  unsigned event_seen, subscribed_seen, state_seen, agents_seen, frameworks_seen, tasks_seen;
  int subscribed_type, has_subscribed, has_state;
  int distinct;  // distinct_task_ids(), once read
} V1Top;

static void v1_init(V1Top *t) {
  memset(t, 0, sizeof *t);
  t->heartbeat = __builtin_nan("");
}

static void v1_free(V1Top *t) {
  free(t->frameworks.v);
  free(t->recovered.v);
  free(t->task_ids.v);
  t->frameworks.v = t->recovered.v = t->task_ids.v = NULL;
}

/** A member of the record's own shape that must be an object (or null, when `nullable`): else declined. */
static int v1_own_object(Reader *r, int nullable) {
  if (nullable && is_null(r)) return 0;
  if (peek(r) != '{') decline(r, "a snapshot part of the wrong type");
  return 1;
}

static int v1_own_array(Reader *r) {
  if (is_null(r)) return 0;
  if (peek(r) != '[') decline(r, "a snapshot list that is not an array");
  return 1;
}

// --- ids and numbers ------------------------------------------------------------------------------

typedef struct { int32_t value; int unique; unsigned seen; } V1Id;

static void v1_id_member(Reader *r, void *ctx, Str key) {
  V1Id *id = ctx;
  if (!key_is(key, "value")) {
    skip_value(r);
    return;
  }
  once(r, &id->seen, 1);
  if (peek(r) != '"') malformed(r, "an id value that is not a string");
  Str s = read_string(r);
  if (s.len == 0) malformed(r, "an empty id");
  id->value = id->unique ? append_string(r, s, 0, S_UNINDEXED) : intern(r, s);
}

/** idValue(): `{"value": "…"}` with a non-empty string; `unique` for task ids (never looked up). */
static int32_t v1_id(Reader *r, int unique) {
  if (peek(r) != '{') malformed(r, "an id that is not an object");
  V1Id id = { -1, unique, 0 };
  read_object(r, &id, v1_id_member);
  if (id.value < 0) malformed(r, "an id without a value");
  return id.value;
}

/** A required string that is not empty (requiredString). */
static int32_t v1_required_string(Reader *r) {
  if (peek(r) != '"') malformed(r, "a field of the wrong type");
  Str s = read_string(r);
  if (s.len == 0) malformed(r, "an empty string");
  return intern(r, s);
}

/** number(): a JSON number, read exactly; text is left to operator-state.ts (malformed here). */
static double v1_number(Reader *r) {
  int c = peek(r);
  if (!(c == '-' || (c >= '0' && c <= '9'))) malformed(r, "a number of another type");
  int exact;
  double v = read_number(r, &exact);
  if (!exact) decline(r, "a number not read exactly");
  return v;
}

/** port(): an integer 0-65535, as a number or as plain digits (protobuf may write 64-bit integers as text). */
static int32_t v1_port(Reader *r) {
  if (peek(r) == '"') {
    Str s = read_string(r);
    long v = 0;
    if (s.len == 0 || s.len > 5) malformed(r, "a port in text");
    for (size_t i = 0; i < s.len; i++) {
      if (s.s[i] < '0' || s.s[i] > '9') malformed(r, "a port in text");
      v = v * 10 + (s.s[i] - '0');
    }
    if (v > 65535) malformed(r, "a port out of range");
    return (int32_t)v;
  }
  double n = v1_number(r);
  if (n == 0 && 1 / n < 0) decline(r, "a port number of -0");
  if (!(n >= 0 && n <= 65535) || n != (double)(int32_t)n) malformed(r, "not a port");
  return (int32_t)n;
}

// --- agents, frameworks, recovered agents ------------------------------------------------------

typedef struct { int32_t id, hostname, pid; int has_info; unsigned seen, info_seen; } V1Agent;

static void v1_agent_info_member(Reader *r, void *ctx, Str key) {
  V1Agent *a = ctx;
  if (key_is(key, "id")) once(r, &a->info_seen, 1), a->id = v1_id(r, 0);
  else if (key_is(key, "hostname")) once(r, &a->info_seen, 2), a->hostname = opt_string(r);
  else skip_value(r);
}

static void v1_agent_member(Reader *r, void *ctx, Str key) {
  V1Agent *a = ctx;
  if (key_is(key, "agent_info")) {
    once(r, &a->seen, 1);
    if (peek(r) != '{') malformed(r, "agent_info that is not an object");
    a->has_info = 1;
    read_object(r, a, v1_agent_info_member);
  } else if (key_is(key, "pid")) {
    once(r, &a->seen, 2);
    a->pid = opt_string(r);
  } else {
    skip_value(r);
  }
}

static void v1_read_agent(Reader *r, void *ctx) {
  (void)ctx;
  need_object(r);
  V1Agent a = { -1, -1, -1, 0, 0, 0 };
  read_object(r, &a, v1_agent_member);
  if (!a.has_info || a.id < 0) malformed(r, "an agent without an id");
  int_push(r, &r->agents, a.id);
  int_push(r, &r->agents, a.hostname);
  int_push(r, &r->agents, a.pid);
}

static void v1_agent_element(Reader *r, void *ctx) {
  Elements *list = ctx;
  list->kept += element(r, K_AGENT, list->index++, -1, v1_read_agent, NULL);
}

typedef struct { int32_t id; unsigned seen; } V1Recovered;

static void v1_recovered_member(Reader *r, void *ctx, Str key) {
  V1Recovered *a = ctx;
  if (key_is(key, "id")) once(r, &a->seen, 1), a->id = v1_id(r, 0);
  else skip_value(r);
}

static void v1_read_recovered(Reader *r, void *ctx) {
  V1Top *t = ctx;
  need_object(r);
  V1Recovered a = { -1, 0 };
  read_object(r, &a, v1_recovered_member);
  if (a.id < 0) malformed(r, "a recovered agent without an id");
  int_push(r, &t->recovered, a.id);
}

/** A recovered_agents entry: one without an id is recorded (kind 3) for read-subscribed.ts to
 * check that the JavaScript path passes it over too; it lists none. */
enum { K_RECOVERED = 3 };

static void v1_recovered_element(Reader *r, void *ctx) {
  V1Top *t = ctx;
  element(r, K_RECOVERED, t->recovered_list.index++, -1, v1_read_recovered, t);
}

typedef struct { int32_t id, name, hostname; int has_info; unsigned seen, info_seen; } V1Framework;

static void v1_framework_info_member(Reader *r, void *ctx, Str key) {
  V1Framework *f = ctx;
  if (key_is(key, "id")) once(r, &f->info_seen, 1), f->id = v1_id(r, 0);
  else if (key_is(key, "name")) once(r, &f->info_seen, 2), f->name = opt_string(r);
  else if (key_is(key, "hostname")) once(r, &f->info_seen, 4), f->hostname = opt_string(r);
  else skip_value(r);
}

static void v1_framework_member(Reader *r, void *ctx, Str key) {
  V1Framework *f = ctx;
  if (key_is(key, "framework_info")) {
    once(r, &f->seen, 1);
    if (peek(r) != '{') malformed(r, "framework_info that is not an object");
    f->has_info = 1;
    read_object(r, f, v1_framework_info_member);
  } else {
    skip_value(r);
  }
}

static void v1_read_framework(Reader *r, void *ctx) {
  V1Top *t = ctx;
  need_object(r);
  V1Framework f = { -1, -1, -1, 0, 0, 0 };
  read_object(r, &f, v1_framework_member);
  if (!f.has_info || f.id < 0) malformed(r, "a framework without an id");
  int_push(r, &t->frameworks, f.id);
  int_push(r, &t->frameworks, f.name);
  int_push(r, &t->frameworks, f.hostname);
}

static void v1_framework_element(Reader *r, void *ctx) {
  V1Top *t = ctx;
  t->framework_list.kept += element(r, K_FRAMEWORK, t->framework_list.index++, -1, v1_read_framework, t);
}

// --- a task's statuses: the newest TASK_RUNNING one ---------------------------------------------

typedef struct { Status *s; unsigned seen; } V1Labels;

static void v1_labels_member(Reader *r, void *ctx, Str key) {
  V1Labels *l = ctx;
  if (!key_is(key, "labels")) {
    skip_value(r);
    return;
  }
  once(r, &l->seen, 1);
  if (opt_value(r, '[')) read_array(r, l->s, label_element);
}

static void v1_status_member(Reader *r, void *ctx, Str key) {
  StatusCtx *c = ctx;
  Status *s = c->s;
  if (key_is(key, "state")) {
    once(r, &c->seen, 1);
    // Any type: only "TASK_RUNNING" makes the status count.
    if (peek(r) == '"') c->state = key_is(read_string(r), "TASK_RUNNING");
    else skip_value(r);
  } else if (key_is(key, "timestamp")) {
    once(r, &c->seen, 2);
    s->timestamp = v1_number(r);
  } else if (key_is(key, "labels")) {
    once(r, &c->seen, 4);
    if (is_null(r)) return;
    int v = peek(r);
    if (v == '[') read_array(r, s, label_element);
    else if (v == '{') {
      // Labels{labels:[…]}, the v1 form (the bare list is the legacy one; labelsOf takes both).
      V1Labels labels = { s, 0 };
      read_object(r, &labels, v1_labels_member);
    } else {
      malformed(r, "labels of the wrong type");
    }
  } else if (key_is(key, "container_status")) {
    once(r, &c->seen, 8);
    read_container_status(r, s);
  } else if (key_is(key, "healthy")) {
    once(r, &c->seen, 16);
    // Only a boolean counts; any other value is passed over (`typeof s.healthy === 'boolean'`).
    int v = peek(r);
    if (v == 't') skip_literal(r, "true"), s->healthy = 1;
    else if (v == 'f') skip_literal(r, "false"), s->healthy = 0;
    else skip_value(r);
  } else {
    skip_value(r);
  }
}

static void v1_status_element(Reader *r, void *ctx) {
  (void)ctx;
  // The newest one, and the newest one with network IPs (latestRunning), as state-reader.c's.
  read_status(r, v1_status_member);
}

// --- resources: ports ranges ------------------------------------------------------------------

typedef struct { int32_t begin, end; unsigned seen; } V1Range;

static void v1_range_member(Reader *r, void *ctx, Str key) {
  V1Range *range = ctx;
  if (key_is(key, "begin")) once(r, &range->seen, 1), range->begin = v1_port(r);
  else if (key_is(key, "end")) once(r, &range->seen, 2), range->end = v1_port(r);
  else skip_value(r);
}

static void v1_range_element(Reader *r, void *ctx) {
  (void)ctx;
  need_object(r);
  V1Range range = { -1, -1, 0 };
  read_object(r, &range, v1_range_member);
  if (range.begin < 0 || range.end < 0) malformed(r, "a range without begin or end");
  if (range.begin > range.end) malformed(r, "a reversed range");
  for (int32_t p = range.begin; p <= range.end; p++) int_push(r, &r->task_ports, p);
}

static void v1_ranges_member(Reader *r, void *ctx, Str key) {
  unsigned *seen = ctx;
  if (!key_is(key, "range")) {
    skip_value(r);
    return;
  }
  once(r, seen, 1);
  if (opt_value(r, '[')) read_array(r, NULL, v1_range_element);
}

typedef struct { int ports; unsigned seen; } V1Resource;

static void v1_resource_member(Reader *r, void *ctx, Str key) {
  V1Resource *res = ctx;
  if (key_is(key, "name")) {
    once(r, &res->seen, 1);
    // Any type: only the name "ports" makes the ranges count.
    if (peek(r) == '"') res->ports = key_is(read_string(r), "ports");
    else skip_value(r);
  } else if (key_is(key, "ranges")) {
    once(r, &res->seen, 2);
    if (!opt_value(r, '{')) return;
    unsigned seen = 0;
    read_object(r, &seen, v1_ranges_member);
  } else {
    skip_value(r);
  }
}

static void v1_resource_element(Reader *r, void *ctx) {
  (void)ctx;
  need_object(r);
  // The ranges are expanded onto the task's ports as they come, and dropped again when the
  // resource turns out not to be named "ports" (its name may follow them).
  size_t before = r->task_ports.n;
  V1Resource res = { 0, 0 };
  read_object(r, &res, v1_resource_member);
  if (!res.ports) r->task_ports.n = before;
}

// --- discovery --------------------------------------------------------------------------------

typedef struct { int32_t number, protocol, name; unsigned seen; } V1Port;

static void v1_port_member(Reader *r, void *ctx, Str key) {
  V1Port *p = ctx;
  if (key_is(key, "number")) once(r, &p->seen, 1), p->number = v1_port(r);
  else if (key_is(key, "protocol")) once(r, &p->seen, 2), p->protocol = opt_string(r);
  else if (key_is(key, "name")) once(r, &p->seen, 4), p->name = opt_string(r);
  else skip_value(r);
}

/** A DiscoveryInfo port: unlike /master/state's, a number that is not a port makes the task malformed. */
static void v1_port_element(Reader *r, void *ctx) {
  (void)ctx;
  need_object(r);
  V1Port p = { -1, -1, -1, 0 };
  read_object(r, &p, v1_port_member);
  if (p.number < 0) malformed(r, "a discovery port without a number");
  int_push(r, &r->ports, p.number);
  int_push(r, &r->ports, p.protocol);
  int_push(r, &r->ports, p.name);
}

static void v1_port_list_member(Reader *r, void *ctx, Str key) {
  unsigned *seen = ctx;
  if (!key_is(key, "ports")) {
    skip_value(r);
    return;
  }
  once(r, seen, 1);
  if (opt_value(r, '[')) read_array(r, NULL, v1_port_element);
}

typedef struct { int32_t name; unsigned seen; } V1Discovery;

static void v1_discovery_member(Reader *r, void *ctx, Str key) {
  V1Discovery *d = ctx;
  if (key_is(key, "name")) {
    once(r, &d->seen, 1);
    d->name = opt_string(r);
  } else if (key_is(key, "ports")) {
    once(r, &d->seen, 2);
    if (!opt_value(r, '{')) return;
    unsigned seen = 0;
    read_object(r, &seen, v1_port_list_member);
  } else {
    skip_value(r);
  }
}

// --- tasks ------------------------------------------------------------------------------------

enum { V1_ID, V1_NAME, V1_FRAMEWORK, V1_AGENT, V1_STATE, V1_HASH, V1_FIXED };

typedef struct { int32_t fixed[V1_FIXED]; int32_t discovery; int has_discovery; unsigned seen; Spans spans; } V1Task;

static void v1_task_member(Reader *r, void *ctx, Str key) {
  V1Task *t = ctx;
  if (key_is(key, "task_id")) once(r, &t->seen, 1), t->fixed[V1_ID] = v1_id(r, 1);
  else if (key_is(key, "name")) once(r, &t->seen, 2), t->fixed[V1_NAME] = opt_string(r);
  else if (key_is(key, "framework_id")) once(r, &t->seen, 4), t->fixed[V1_FRAMEWORK] = v1_id(r, 0);
  else if (key_is(key, "agent_id")) once(r, &t->seen, 8), t->fixed[V1_AGENT] = v1_id(r, 0);
  else if (key_is(key, "state")) once(r, &t->seen, 16), t->fixed[V1_STATE] = v1_required_string(r);
  else if (key_is(key, "resources")) {
    once(r, &t->seen, 32);
    if (opt_value(r, '[')) read_array(r, NULL, v1_resource_element);
  } else if (key_is(key, "statuses")) {
    once(r, &t->seen, 64);
    if (opt_value(r, '[')) read_array(r, NULL, v1_status_element);
  } else if (key_is(key, "discovery")) {
    once(r, &t->seen, 128);
    const uint8_t *start = (peek(r), r->p);
    if (!opt_value(r, '{')) return;
    V1Discovery d = { -1, 0 };
    read_object(r, &d, v1_discovery_member);
    keep_span(r, &t->spans, SPAN_DISCOVERY, start, (size_t)(r->p - start), 0);
    t->discovery = d.name;
    t->has_discovery = 1;
  } else if (key_is(key, "labels")) {
    // Read by task-addressing.ts only (leniently, either label form), from the span's text.
    once(r, &t->seen, 256);
    span_value(r, &t->spans, SPAN_LABELS);
  } else if (key_is(key, "container")) {
    once(r, &t->seen, 512);
    container_span(r, &t->spans);
  } else {
    skip_value(r);
  }
}

static void v1_read_task(Reader *r, void *ctx) {
  V1Top *top = ctx;
  need_object(r);
  V1Task t = { { -1, -1, -1, -1, -1, -1 }, -1, 0, 0, { { -1, -1, -1 }, 0 } };
  task_reset(r);
  read_object(r, &t, v1_task_member);
  for (int i = V1_ID; i <= V1_STATE; i++) {
    if (i != V1_NAME && t.fixed[i] < 0) malformed(r, "a task without an id, framework, agent or state");
  }
  t.fixed[V1_HASH] = task_hash(r, t.fixed[V1_ID]);
  IntVec *out = &r->frameworks;
  for (int i = 0; i < V1_FIXED; i++) int_push(r, out, t.fixed[i]);
  Status *b = task_running(r);
  int_push(r, out, (b->running ? 1 : 0) | (t.has_discovery ? 2 : 0) | (t.spans.any ? 16 : 0));
  int_push(r, out, (int32_t)r->task_ports.n);
  ints_append(r, out, &r->task_ports);
  if (b->running) push_running(r, out, b);
  if (t.has_discovery) {
    int_push(r, out, t.discovery);
    int_push(r, out, (int32_t)(r->ports.n / 3));
    ints_append(r, out, &r->ports);
  }
  push_spans(r, out, &t.spans);
  // Last, so a task left out never gets here (element() rolls back only its own vectors).
  int_push(r, &top->task_ids, t.fixed[V1_ID]);
}

static void v1_task_element(Reader *r, void *ctx) {
  V1Top *t = ctx;
  t->tasks.kept += element(r, K_TASK, t->tasks.index++, -1, v1_read_task, t);
}

/**
 * 1 when no two kept tasks have the same id: then no (framework, task) pair repeats either, and
 * read-subscribed.ts groups the tasks without a map of their ids (100,000 string keys: most of
 * its time). Task ids are not in the string table's index (they rarely repeat), so this is an
 * index of their own, made once at the end.
 */
static int distinct_task_ids(Reader *r, const V1Top *t) {
  size_t n = t->task_ids.n, size = 16;
  while (size < 2 * n) size *= 2;
  int32_t *slots = calloc(size, sizeof(int32_t));
  if (slots == NULL) return 0;
  int distinct = 1;
  for (size_t k = 0; k < n && distinct; k++) {
    int32_t id = t->task_ids.v[k];
    size_t start = id == 0 ? 0 : (size_t)r->sends.v[id - 1], len = (size_t)r->sends.v[id] - start;
    size_t s = hash_bytes(r->sbytes.v + start, len) & (size - 1);
    for (; slots[s] != 0; s = (s + 1) & (size - 1)) {
      int32_t other = slots[s] - 1;
      size_t o = other == 0 ? 0 : (size_t)r->sends.v[other - 1];
      if ((size_t)r->sends.v[other] - o == len && memcmp(r->sbytes.v + o, r->sbytes.v + start, len) == 0) {
        distinct = 0;
        break;
      }
    }
    slots[s] = id + 1;
  }
  free(slots);
  return distinct;
}

// --- the record's own shape -------------------------------------------------------------------

static void v1_agents_member(Reader *r, void *ctx, Str key) {
  V1Top *t = ctx;
  if (key_is(key, "agents")) {
    once(r, &t->agents_seen, 1);
    if (v1_own_array(r)) read_array(r, &t->agents, v1_agent_element);
  } else if (key_is(key, "recovered_agents")) {
    once(r, &t->agents_seen, 2);
    if (v1_own_array(r)) read_array(r, t, v1_recovered_element);
  } else {
    skip_value(r);
  }
}

static void v1_frameworks_member(Reader *r, void *ctx, Str key) {
  V1Top *t = ctx;
  if (!key_is(key, "frameworks")) {
    skip_value(r);
    return;
  }
  once(r, &t->frameworks_seen, 1);
  if (v1_own_array(r)) read_array(r, t, v1_framework_element);
}

static void v1_tasks_member(Reader *r, void *ctx, Str key) {
  V1Top *t = ctx;
  if (!key_is(key, "tasks")) {
    skip_value(r);
    return;
  }
  once(r, &t->tasks_seen, 1);
  if (v1_own_array(r)) read_array(r, t, v1_task_element);
}

static void v1_state_member(Reader *r, void *ctx, Str key) {
  V1Top *t = ctx;
  if (key_is(key, "get_agents")) {
    once(r, &t->state_seen, 1);
    if (v1_own_object(r, 1)) read_object(r, t, v1_agents_member);
  } else if (key_is(key, "get_frameworks")) {
    once(r, &t->state_seen, 2);
    if (v1_own_object(r, 1)) read_object(r, t, v1_frameworks_member);
  } else if (key_is(key, "get_tasks")) {
    once(r, &t->state_seen, 4);
    if (v1_own_object(r, 1)) read_object(r, t, v1_tasks_member);
  } else {
    skip_value(r);
  }
}

static void v1_subscribed_member(Reader *r, void *ctx, Str key) {
  V1Top *t = ctx;
  if (key_is(key, "get_state")) {
    once(r, &t->subscribed_seen, 1);
    v1_own_object(r, 0);
    t->has_state = 1;
    read_object(r, t, v1_state_member);
  } else if (key_is(key, "heartbeat_interval_seconds")) {
    once(r, &t->subscribed_seen, 2);
    int c = peek(r);
    if (c == '-' || (c >= '0' && c <= '9')) {
      int exact;
      double v = read_number(r, &exact);
      if (!exact) decline(r, "a number not read exactly");
      t->heartbeat = v;
    } else {
      skip_value(r);  // not a number: the default interval
    }
  } else {
    skip_value(r);
  }
}

static void v1_event_member(Reader *r, void *ctx, Str key) {
  V1Top *t = ctx;
  if (key_is(key, "type")) {
    once(r, &t->event_seen, 1);
    if (peek(r) != '"') decline(r, "not a SUBSCRIBED event");
    t->subscribed_type = key_is(read_string(r), "SUBSCRIBED");
  } else if (key_is(key, "subscribed")) {
    once(r, &t->event_seen, 2);
    v1_own_object(r, 0);
    t->has_subscribed = 1;
    read_object(r, t, v1_subscribed_member);
  } else {
    skip_value(r);
  }
}

/** Reads the whole SUBSCRIBED record; 0 if it declined (r->why says why). */
static int read_subscribed(Reader *r, V1Top *t) {
  if (setjmp(r->fail) != 0) return 0;
  if (peek(r) != '{') decline(r, "not a JSON object");
  read_object(r, t, v1_event_member);
  ws(r);
  if (r->p != r->end) decline(r, "syntax");
  if (!t->subscribed_type) decline(r, "not a SUBSCRIBED event");
  if (!t->has_subscribed || !t->has_state) decline(r, "no get_state");
  t->distinct = distinct_task_ids(r, t);
  return 1;
}
