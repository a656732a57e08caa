// udp-batch: a UDP socket for the DNS server that moves datagrams in batches, recvmmsg(2) and
// sendmmsg(2), instead of one recvmsg/sendmsg system call and one JavaScript callback per
// datagram as Node's dgram does. Per query, that system-call and callback cost is what limits a
// Node DNS server (docs/performance.md: dgram's send path was a third of a serving thread's time),
// and it is how Knot and NSD amortise theirs.
//
// It knows nothing about DNS. The JavaScript side (src/dns/transport/udp-batch-server.ts) owns every decision;
// this file owns only the socket and the batch:
//
//   readable -> recvmmsg up to BATCH datagrams into a shared buffer (one slot each) ->
//   one call into JavaScript with the count -> JavaScript returns an array of replies (a
//   Uint8Array, or anything else for "no reply", per slot) -> one sendmmsg of the replies to the
//   addresses the datagrams came from -> again while the socket has more, at most ROUNDS times
//   per readable event, so TCP, timers and messages still get their turn.
//
// Replies that come later (forwarded queries) go out one by one through sendTo(), with the
// address bytes JavaScript copied out of the batch.
//
// Built by native/build.js with the system C compiler against Node-API (version 8), which is
// ABI-stable across Node versions; when it cannot be built or loaded the server uses dgram.
#define _GNU_SOURCE
#define NAPI_VERSION 8
#include <node_api.h>
#include <uv.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/** Datagrams per recvmmsg/sendmmsg. */
#define BATCH 64
/** Bytes per received datagram. A DNS query is far smaller; a larger datagram is cut (MSG_TRUNC) and reported as length -1. */
#define SLOT 4096
/** Bytes of sender address per slot: a sockaddr_in6, the larger of the two families. */
#define ADDR_SLOT 28
/** Batches per readable event before yielding to the event loop. */
#define ROUNDS 8

enum socket_state { STATE_OPEN, STATE_STARTED, STATE_CLOSING, STATE_CLOSED };

typedef struct {
  uv_poll_t poll;
  int fd;
  enum socket_state state;
  /** The JavaScript handle was garbage-collected: free this when the close completes. */
  int finalized;
  napi_env env;
  /** While started: the external itself (kept alive), the batch callback and the shared buffers. */
  napi_ref self;
  napi_ref callback;
  napi_ref data_ref;
  napi_ref lengths_ref;
  napi_ref addresses_ref;
  napi_async_context async_context;
  napi_async_cleanup_hook_handle cleanup;
  uint8_t *data;
  int32_t *lengths;
  uint8_t *addresses;
  struct mmsghdr recv_msgs[BATCH];
  struct iovec recv_iov[BATCH];
  struct mmsghdr send_msgs[BATCH];
  struct iovec send_iov[BATCH];
  /** Counters for the metrics: replies the kernel refused (buffer full, unreachable), datagrams cut. */
  double send_errors;
  double truncated;
  double batches;
  double datagrams;
} batch_socket;

// --- errors -------------------------------------------------------------------------------------

/** Throws an Error shaped like Node's own system errors (code, errno, syscall), e.g. "bind EADDRINUSE 127.0.0.1:53". */
static void throw_errno(napi_env env, int err, const char *syscall, const char *detail) {
  char message[256];
  const char *code = uv_err_name(uv_translate_sys_error(err));
  if (detail != NULL && detail[0] != '\0') {
    snprintf(message, sizeof message, "%s %s %s", syscall, code, detail);
  } else {
    snprintf(message, sizeof message, "%s %s", syscall, code);
  }
  napi_value msg, code_value, error, errno_value, syscall_value;
  napi_create_string_utf8(env, message, NAPI_AUTO_LENGTH, &msg);
  napi_create_string_utf8(env, code, NAPI_AUTO_LENGTH, &code_value);
  napi_create_error(env, code_value, msg, &error);
  napi_create_int32(env, uv_translate_sys_error(err), &errno_value);
  napi_set_named_property(env, error, "errno", errno_value);
  napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &syscall_value);
  napi_set_named_property(env, error, "syscall", syscall_value);
  napi_throw(env, error);
}

#define CHECK(env, call)                                             \
  do {                                                               \
    if ((call) != napi_ok) {                                         \
      const napi_extended_error_info *info = NULL;                   \
      napi_get_last_error_info((env), &info);                        \
      bool pending = false;                                          \
      napi_is_exception_pending((env), &pending);                    \
      if (!pending) {                                                \
        napi_throw_error((env), "MDNS_ERR_UDP_BATCH",                \
                         info && info->error_message ? info->error_message : "Node-API call failed"); \
      }                                                              \
      return NULL;                                                   \
    }                                                                \
  } while (0)

// --- the handle ---------------------------------------------------------------------------------

static void release_refs(batch_socket *s) {
  napi_env env = s->env;
  if (s->callback) napi_delete_reference(env, s->callback);
  if (s->data_ref) napi_delete_reference(env, s->data_ref);
  if (s->lengths_ref) napi_delete_reference(env, s->lengths_ref);
  if (s->addresses_ref) napi_delete_reference(env, s->addresses_ref);
  if (s->async_context) napi_async_destroy(env, s->async_context);
  if (s->self) napi_delete_reference(env, s->self);
  s->callback = s->data_ref = s->lengths_ref = s->addresses_ref = s->self = NULL;
  s->async_context = NULL;
}

static void on_closed(uv_handle_t *handle) {
  batch_socket *s = (batch_socket *)handle->data;
  s->state = STATE_CLOSED;
  if (s->cleanup != NULL) {
    napi_async_cleanup_hook_handle cleanup = s->cleanup;
    s->cleanup = NULL;
    napi_remove_async_cleanup_hook(cleanup);
  }
  if (s->finalized) free(s);
}

/**
 * Stops polling and closes the socket at once (libuv allows closing the fd right after
 * uv_poll_stop/uv_close), so the port is free when close() returns, as with dgram. The memory
 * goes when both libuv's close callback and the finaliser have run.
 */
static void begin_close(batch_socket *s) {
  if (s->state == STATE_STARTED) {
    uv_poll_stop(&s->poll);
    s->state = STATE_CLOSING;
    uv_close((uv_handle_t *)&s->poll, on_closed);
    close(s->fd);
    s->fd = -1;
  } else if (s->state == STATE_OPEN) {
    close(s->fd);
    s->fd = -1;
    s->state = STATE_CLOSED;
    if (s->cleanup != NULL) {
      napi_async_cleanup_hook_handle cleanup = s->cleanup;
      s->cleanup = NULL;
      napi_remove_async_cleanup_hook(cleanup);
    }
  }
}

/**
 * The thread's environment is going away (a worker thread exits) with the socket still open: the
 * poll handle must be closed before the loop is, so this closes it asynchronously (Node-API's
 * async cleanup hooks exist for libuv handles). No JavaScript runs any more, so no reference is
 * touched here; the environment drops them itself.
 */
static void on_env_cleanup(napi_async_cleanup_hook_handle handle, void *arg) {
  batch_socket *s = (batch_socket *)arg;
  s->cleanup = handle;
  if (s->state == STATE_STARTED || s->state == STATE_OPEN) {
    begin_close(s);  // removes the hook when done
  } else if (s->state == STATE_CLOSED) {
    s->cleanup = NULL;
    napi_remove_async_cleanup_hook(handle);
  }
  // STATE_CLOSING: on_closed removes it.
}

static void finalize_socket(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  batch_socket *s = (batch_socket *)data;
  s->finalized = 1;
  if (s->state == STATE_OPEN) begin_close(s);
  if (s->state == STATE_CLOSED && s->cleanup == NULL) free(s);
}

/**
 * The arguments of a call whose first is the socket handle: fills argv (up to `count`, missing
 * ones undefined) and returns the socket, or NULL with an exception pending.
 */
static batch_socket *socket_args(napi_env env, napi_callback_info info, size_t count, napi_value *argv) {
  size_t argc = count;
  void *data = NULL;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc == 0 ||
      napi_get_value_external(env, argv[0], &data) != napi_ok || data == NULL) {
    napi_throw_type_error(env, "MDNS_ERR_UDP_BATCH", "the first argument must be a udp-batch socket");
    return NULL;
  }
  return (batch_socket *)data;
}

static napi_status set_number(napi_env env, napi_value object, const char *name, double value) {
  napi_value v;
  napi_status status = napi_create_double(env, value, &v);
  return status == napi_ok ? napi_set_named_property(env, object, name, v) : status;
}

// --- sending ------------------------------------------------------------------------------------

/** Sends `count` prepared messages; a message the kernel refuses is counted and skipped (to the client, a lost datagram it retries). */
static void send_all(batch_socket *s, int count) {
  int sent = 0;
  while (sent < count) {
    int n = sendmmsg(s->fd, s->send_msgs + sent, (unsigned)(count - sent), MSG_DONTWAIT);
    if (n > 0) {
      sent += n;
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      // The send buffer is full (UDPBufferBytes): drop the rest rather than block the thread.
      s->send_errors += count - sent;
      return;
    } else {
      // This message's destination failed (e.g. EPERM, EINVAL for a bad address): skip it.
      s->send_errors += 1;
      sent += 1;
    }
  }
}

// --- receiving ----------------------------------------------------------------------------------

static void on_readable(uv_poll_t *handle, int status, int events) {
  (void)events;
  batch_socket *s = (batch_socket *)handle->data;
  if (status < 0 || s->state != STATE_STARTED) return;
  napi_env env = s->env;
  for (int round = 0; round < ROUNDS && s->state == STATE_STARTED; round++) {
    for (int i = 0; i < BATCH; i++) {
      s->recv_msgs[i].msg_hdr.msg_namelen = ADDR_SLOT;
      s->recv_msgs[i].msg_hdr.msg_flags = 0;
    }
    int n = recvmmsg(s->fd, s->recv_msgs, BATCH, MSG_DONTWAIT, NULL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return;  // EAGAIN: drained. Anything else (ICMP errors queued on the socket) is read and gone.
    }
    if (n == 0) return;
    s->batches += 1;
    s->datagrams += n;
    for (int i = 0; i < n; i++) {
      if (s->recv_msgs[i].msg_hdr.msg_flags & MSG_TRUNC) {
        s->lengths[i] = -1;
        s->truncated += 1;
      } else {
        s->lengths[i] = (int32_t)s->recv_msgs[i].msg_len;
      }
    }

    napi_handle_scope scope;
    if (napi_open_handle_scope(env, &scope) != napi_ok) return;
    napi_value callback, receiver, count, result;
    int prepared = 0;
    if (napi_get_reference_value(env, s->callback, &callback) == napi_ok && napi_get_global(env, &receiver) == napi_ok &&
        napi_create_int32(env, n, &count) == napi_ok) {
      // make_callback, not call_function: it runs the microtask queue and process.nextTick
      // callbacks afterwards, as any I/O callback of Node's does. Its receiver must be an
      // object (undefined fails with napi_object_expected), hence the global.
      napi_status called = napi_make_callback(env, s->async_context, receiver, callback, 1, &count, &result);
      if (called == napi_pending_exception) {
        napi_value ignored;
        // Handler errors are caught per query in JavaScript (queryRunner), so this is a bug in
        // onBatch itself: the batch goes unanswered (clients retry) and no exception is left pending.
        napi_get_and_clear_last_exception(env, &ignored);
      } else if (called == napi_ok && s->state == STATE_STARTED) {
        bool is_array = false;
        napi_is_array(env, result, &is_array);
        for (int i = 0; is_array && i < n; i++) {
          napi_value reply;
          bool is_typedarray = false;
          if (napi_get_element(env, result, (uint32_t)i, &reply) != napi_ok) break;
          if (napi_is_typedarray(env, reply, &is_typedarray) != napi_ok || !is_typedarray) continue;
          napi_typedarray_type type;
          size_t length;
          void *bytes;
          if (napi_get_typedarray_info(env, reply, &type, &length, &bytes, NULL, NULL) != napi_ok || type != napi_uint8_array) continue;
          struct msghdr *h = &s->send_msgs[prepared].msg_hdr;
          s->send_iov[prepared].iov_base = bytes;
          s->send_iov[prepared].iov_len = length;
          h->msg_name = s->addresses + (size_t)i * ADDR_SLOT;
          h->msg_namelen = s->recv_msgs[i].msg_hdr.msg_namelen;
          prepared++;
        }
        // Sent while the replies are still referenced by this handle scope.
        if (prepared > 0) send_all(s, prepared);
      }
    }
    napi_close_handle_scope(env, scope);
    if (n < BATCH) return;  // drained: the next readable event brings more
  }
}

// --- exported functions -------------------------------------------------------------------------

static int32_t get_int32(napi_env env, napi_value value, int32_t fallback) {
  int32_t out = fallback;
  if (napi_get_value_int32(env, value, &out) != napi_ok) return fallback;
  return out;
}

/**
 * open(address: string, port: number, reusePort: boolean, bufferBytes: number) -> handle
 * A bound, non-blocking UDP socket. "::" also takes IPv4 (IPV6_V6ONLY off), like dgram with
 * ipv6Only false. Throws a Node-style system error (code EADDRINUSE, EACCES, ...).
 */
static napi_value js_open(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 4) {
    napi_throw_type_error(env, "MDNS_ERR_UDP_BATCH", "open(address, port, reusePort, bufferBytes)");
    return NULL;
  }
  char address[64];
  size_t address_length = 0;
  if (napi_get_value_string_utf8(env, argv[0], address, sizeof address, &address_length) != napi_ok) {
    napi_throw_type_error(env, "MDNS_ERR_UDP_BATCH", "address must be a string");
    return NULL;
  }
  int32_t port = get_int32(env, argv[1], -1);
  bool reuse_port = false;
  napi_get_value_bool(env, argv[2], &reuse_port);
  int32_t buffer_bytes = get_int32(env, argv[3], 0);
  if (port < 0 || port > 65535) {
    napi_throw_range_error(env, "MDNS_ERR_UDP_BATCH", "port out of range");
    return NULL;
  }

  struct sockaddr_storage bind_address;
  memset(&bind_address, 0, sizeof bind_address);
  socklen_t bind_length;
  int family;
  if (uv_ip4_addr(address, port, (struct sockaddr_in *)&bind_address) == 0) {
    family = AF_INET;
    bind_length = sizeof(struct sockaddr_in);
  } else if (uv_ip6_addr(address, port, (struct sockaddr_in6 *)&bind_address) == 0) {
    family = AF_INET6;
    bind_length = sizeof(struct sockaddr_in6);
  } else {
    napi_throw_type_error(env, "MDNS_ERR_UDP_BATCH", "address must be an IPv4 or IPv6 literal");
    return NULL;
  }
  char detail[96];
  snprintf(detail, sizeof detail, "%s:%d", address, port);

  int fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    throw_errno(env, errno, "socket", NULL);
    return NULL;
  }
  int on = 1, off = 0;
  if (reuse_port && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof on) != 0) {
    int err = errno;
    close(fd);
    throw_errno(env, err, "setsockopt", "SO_REUSEPORT");
    return NULL;
  }
  if (family == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off);
  if (buffer_bytes > 0) {
    // Linux caps these at net.core.rmem_max / wmem_max without an error; the caller compares
    // what it asked for with bufferSizes().
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buffer_bytes, sizeof buffer_bytes);
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buffer_bytes, sizeof buffer_bytes);
  }
  if (bind(fd, (struct sockaddr *)&bind_address, bind_length) != 0) {
    int err = errno;
    close(fd);
    throw_errno(env, err, "bind", detail);
    return NULL;
  }

  batch_socket *s = (batch_socket *)calloc(1, sizeof(batch_socket));
  if (s == NULL) {
    close(fd);
    napi_throw_error(env, "MDNS_ERR_UDP_BATCH", "out of memory");
    return NULL;
  }
  s->fd = fd;
  s->state = STATE_OPEN;
  s->env = env;
  napi_value external;
  if (napi_create_external(env, s, finalize_socket, NULL, &external) != napi_ok) {
    close(fd);
    free(s);
    napi_throw_error(env, "MDNS_ERR_UDP_BATCH", "could not create the socket handle");
    return NULL;
  }
  napi_add_async_cleanup_hook(env, on_env_cleanup, s, &s->cleanup);
  return external;
}

/** localAddress(handle) -> { address, family, port }, like dgram's socket.address(). */
static napi_value js_local_address(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  batch_socket *s = socket_args(env, info, 1, argv);
  if (s == NULL) return NULL;
  if (s->fd < 0) {
    napi_throw_error(env, "ERR_SOCKET_DGRAM_NOT_RUNNING", "socket is closed");
    return NULL;
  }
  struct sockaddr_storage local;
  socklen_t length = sizeof local;
  if (getsockname(s->fd, (struct sockaddr *)&local, &length) != 0) {
    throw_errno(env, errno, "getsockname", NULL);
    return NULL;
  }
  char text[INET6_ADDRSTRLEN] = "";
  int port;
  if (local.ss_family == AF_INET6) {
    struct sockaddr_in6 *a = (struct sockaddr_in6 *)&local;
    inet_ntop(AF_INET6, &a->sin6_addr, text, sizeof text);
    port = ntohs(a->sin6_port);
  } else {
    struct sockaddr_in *a = (struct sockaddr_in *)&local;
    inet_ntop(AF_INET, &a->sin_addr, text, sizeof text);
    port = ntohs(a->sin_port);
  }
  napi_value out, address, family;
  CHECK(env, napi_create_object(env, &out));
  CHECK(env, napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &address));
  CHECK(env, napi_create_string_utf8(env, local.ss_family == AF_INET6 ? "IPv6" : "IPv4", NAPI_AUTO_LENGTH, &family));
  CHECK(env, napi_set_named_property(env, out, "address", address));
  CHECK(env, napi_set_named_property(env, out, "family", family));
  CHECK(env, set_number(env, out, "port", port));
  return out;
}

/** bufferSizes(handle) -> { recv: SO_RCVBUF, send: SO_SNDBUF } as the kernel reports them (twice what it granted, socket(7)). */
static napi_value js_buffer_sizes(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  batch_socket *s = socket_args(env, info, 1, argv);
  if (s == NULL) return NULL;
  int recv = 0, send = 0;
  socklen_t length = sizeof recv;
  getsockopt(s->fd, SOL_SOCKET, SO_RCVBUF, &recv, &length);
  length = sizeof send;
  getsockopt(s->fd, SOL_SOCKET, SO_SNDBUF, &send, &length);
  napi_value out;
  CHECK(env, napi_create_object(env, &out));
  CHECK(env, set_number(env, out, "recv", recv));
  CHECK(env, set_number(env, out, "send", send));
  return out;
}

/**
 * start(handle, onBatch) -> { data, lengths, addresses, slot, batch }
 * Starts reading. For each batch, onBatch(count) is called; datagram i is data[i*slot ..
 * i*slot+lengths[i]] (lengths[i] -1: cut, too large), its sender's sockaddr is addresses[i*28 ..
 * i*28+28]. onBatch returns an array whose element i is the reply to datagram i (a Uint8Array) or
 * anything else for none. The buffers are reused by the next batch.
 */
static napi_value js_start(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  batch_socket *s = socket_args(env, info, 2, argv);
  if (s == NULL) return NULL;
  napi_valuetype type;
  if (napi_typeof(env, argv[1], &type) != napi_ok || type != napi_function) {
    napi_throw_type_error(env, "MDNS_ERR_UDP_BATCH", "start(handle, onBatch): onBatch must be a function");
    return NULL;
  }
  if (s->state != STATE_OPEN) {
    napi_throw_error(env, "MDNS_ERR_UDP_BATCH", "socket already started or closed");
    return NULL;
  }
  napi_value data, lengths_buffer, lengths, addresses, name, out;
  void *data_bytes, *lengths_bytes, *address_bytes;
  // Memory owned by V8 (not external): its address is stable for the life of the ArrayBuffer,
  // which the references below hold until close.
  CHECK(env, napi_create_arraybuffer(env, (size_t)BATCH * SLOT, &data_bytes, &data));
  CHECK(env, napi_create_arraybuffer(env, (size_t)BATCH * sizeof(int32_t), &lengths_bytes, &lengths_buffer));
  CHECK(env, napi_create_typedarray(env, napi_int32_array, BATCH, lengths_buffer, 0, &lengths));
  CHECK(env, napi_create_arraybuffer(env, (size_t)BATCH * ADDR_SLOT, &address_bytes, &addresses));
  CHECK(env, napi_create_reference(env, data, 1, &s->data_ref));
  CHECK(env, napi_create_reference(env, lengths, 1, &s->lengths_ref));
  CHECK(env, napi_create_reference(env, addresses, 1, &s->addresses_ref));
  CHECK(env, napi_create_reference(env, argv[1], 1, &s->callback));
  CHECK(env, napi_create_reference(env, argv[0], 1, &s->self));
  CHECK(env, napi_create_string_utf8(env, "mesos-dns-ts:udp-batch", NAPI_AUTO_LENGTH, &name));
  CHECK(env, napi_async_init(env, NULL, name, &s->async_context));
  s->data = (uint8_t *)data_bytes;
  s->lengths = (int32_t *)lengths_bytes;
  s->addresses = (uint8_t *)address_bytes;
  for (int i = 0; i < BATCH; i++) {
    s->recv_iov[i].iov_base = s->data + (size_t)i * SLOT;
    s->recv_iov[i].iov_len = SLOT;
    s->recv_msgs[i].msg_hdr.msg_iov = &s->recv_iov[i];
    s->recv_msgs[i].msg_hdr.msg_iovlen = 1;
    s->recv_msgs[i].msg_hdr.msg_name = s->addresses + (size_t)i * ADDR_SLOT;
    s->recv_msgs[i].msg_hdr.msg_namelen = ADDR_SLOT;
    s->send_msgs[i].msg_hdr.msg_iov = &s->send_iov[i];
    s->send_msgs[i].msg_hdr.msg_iovlen = 1;
  }

  uv_loop_t *loop;
  CHECK(env, napi_get_uv_event_loop(env, &loop));
  int r = uv_poll_init(loop, &s->poll, s->fd);
  if (r == 0) {
    s->poll.data = s;
    r = uv_poll_start(&s->poll, UV_READABLE, on_readable);
    if (r != 0) {
      s->state = STATE_STARTED;  // so begin_close runs uv_close on the initialised handle
      release_refs(s);
      begin_close(s);
    }
  } else {
    release_refs(s);
  }
  if (r != 0) {
    napi_throw_error(env, uv_err_name(r), uv_strerror(r));
    return NULL;
  }
  s->state = STATE_STARTED;

  CHECK(env, napi_create_object(env, &out));
  CHECK(env, napi_set_named_property(env, out, "data", data));
  CHECK(env, napi_set_named_property(env, out, "lengths", lengths));
  CHECK(env, napi_set_named_property(env, out, "addresses", addresses));
  CHECK(env, set_number(env, out, "slot", SLOT));
  CHECK(env, set_number(env, out, "batch", BATCH));
  return out;
}

/**
 * sendTo(handle, reply: Uint8Array, address: Uint8Array) -> boolean
 * One reply to a sender whose 28 address bytes were copied out of a batch (a reply that was not
 * ready within its batch). False when the kernel refused it (counted as a send error).
 */
static napi_value js_send_to(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  batch_socket *s = socket_args(env, info, 3, argv);
  if (s == NULL) return NULL;
  napi_value result;
  if (s->fd < 0) {
    CHECK(env, napi_get_boolean(env, false, &result));
    return result;
  }
  napi_typedarray_type type;
  size_t length, address_length;
  void *bytes, *address;
  if (napi_get_typedarray_info(env, argv[1], &type, &length, &bytes, NULL, NULL) != napi_ok || type != napi_uint8_array ||
      napi_get_typedarray_info(env, argv[2], &type, &address_length, &address, NULL, NULL) != napi_ok || type != napi_uint8_array ||
      address_length < sizeof(sa_family_t)) {
    napi_throw_type_error(env, "MDNS_ERR_UDP_BATCH", "sendTo(handle, reply: Uint8Array, address: Uint8Array)");
    return NULL;
  }
  struct sockaddr_storage to;
  memset(&to, 0, sizeof to);
  memcpy(&to, address, address_length < sizeof to ? address_length : sizeof to);
  socklen_t to_length = to.ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
  ssize_t n;
  do {
    n = sendto(s->fd, bytes, length, MSG_DONTWAIT, (struct sockaddr *)&to, to_length);
  } while (n < 0 && errno == EINTR);
  if (n < 0) s->send_errors += 1;
  CHECK(env, napi_get_boolean(env, n >= 0, &result));
  return result;
}

/** stats(handle) -> { batches, datagrams, truncated, sendErrors }: cumulative counts for /metrics. */
static napi_value js_stats(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  batch_socket *s = socket_args(env, info, 1, argv);
  if (s == NULL) return NULL;
  napi_value out;
  CHECK(env, napi_create_object(env, &out));
  CHECK(env, set_number(env, out, "batches", s->batches));
  CHECK(env, set_number(env, out, "datagrams", s->datagrams));
  CHECK(env, set_number(env, out, "truncated", s->truncated));
  CHECK(env, set_number(env, out, "sendErrors", s->send_errors));
  return out;
}

/** close(handle): stops reading and closes the socket (the fd is closed once libuv lets go of it). */
static napi_value js_close(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  batch_socket *s = socket_args(env, info, 1, argv);
  if (s == NULL) return NULL;
  release_refs(s);
  begin_close(s);
  return NULL;
}

NAPI_MODULE_INIT(/* napi_env env, napi_value exports */) {
  napi_property_descriptor properties[] = {
      {"open", NULL, js_open, NULL, NULL, NULL, napi_enumerable, NULL},
      {"localAddress", NULL, js_local_address, NULL, NULL, NULL, napi_enumerable, NULL},
      {"bufferSizes", NULL, js_buffer_sizes, NULL, NULL, NULL, napi_enumerable, NULL},
      {"start", NULL, js_start, NULL, NULL, NULL, napi_enumerable, NULL},
      {"sendTo", NULL, js_send_to, NULL, NULL, NULL, napi_enumerable, NULL},
      {"stats", NULL, js_stats, NULL, NULL, NULL, napi_enumerable, NULL},
      {"close", NULL, js_close, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  if (napi_define_properties(env, exports, sizeof properties / sizeof properties[0], properties) != napi_ok) return NULL;
  return exports;
}
