// The UDP server on the batched-UDP addon (native/udp-batch.c): the addon reads up to a batch of
// datagrams with one recvmmsg, calls onBatch once, and sends the replies onBatch returns with one
// sendmmsg. Under load that replaces two system calls and one JavaScript callback per query by
// two system calls and one callback per batch; the per-query cost of Node's dgram (a callback,
// an rinfo object, a send request and a sendmsg each) was what held a Node DNS server to about
// 0.6x of Knot's rate (docs/performance.md).
//
// The DNS side is unchanged: each datagram goes through the same queryRunner as with dgram. A
// reply the handler has at once (the fast path) goes out in the batch's sendmmsg; a later one
// (forwarded, or the full pipeline) goes out by itself through sendTo, to the sender's address
// copied out of the batch before the batch's buffers are reused.
import type { Logger } from '../../log.js';
import type { SockaddrRef } from '../../net/peer.js';
import { ADDRESS_BYTES, type BatchHandle, type UdpBatchAddon } from './udp-batch-addon.js';
import { logBufferSizes, queryRunner, type SocketCounters, type UdpServer, type UdpServerOptions } from './udp-server.js';

export async function startBatchUdpServer(options: UdpServerOptions, addon: UdpBatchAddon): Promise<UdpServer> {
  const log: Logger = options.logger.child({ component: 'dns-udp' });
  const requested = options.bufferBytes && options.bufferBytes > 0 ? options.bufferBytes : 0;
  // Throws Node-style system errors (code EADDRINUSE, EACCES, ...), as dgram's bind does.
  const handle: BatchHandle = addon.open(options.address, options.port, options.reusePort === true, requested);
  if (requested > 0) logBufferSizes(log, requested, addon.bufferSizes(handle));

  const run = queryRunner(options, log);
  let closed = false;
  const later = (reply: Promise<Buffer | null>, address: Uint8Array): void => {
    void reply.then((buf) => {
      if (buf && !closed) addon.sendTo(handle, buf, address);
      else if (buf) options.onDrop?.('closed');
    });
  };

  /** Element i: the reply to datagram i of the current batch, or null. Reused batch after batch. */
  const replies: (Uint8Array | null)[] = [];
  let data: Buffer;
  let lengths: Int32Array;
  let addresses: Buffer;
  let slot: number;
  const onSyncReplies = options.onSyncReplies;
  /** The sender of the datagram being handled: a window on `addresses`, moved per datagram. */
  let peer: SockaddrRef;
  const onBatch = (count: number): readonly (Uint8Array | null)[] => {
    // The batch's replies leave together in one sendmmsg when this returns: each took the time
    // from the batch's arrival to now. Two clock reads per batch instead of two per query; the
    // first is also the batch's arrival time for the handler (response rate limiting).
    const started = performance.now();
    let ready = 0;
    for (let i = 0; i < count; i++) {
      replies[i] = null;
      const length = lengths[i];
      // -1: larger than a slot (4 KiB), which no DNS query is; silence, like any runt or junk.
      if (length < 0) continue;
      // A copy, not a view: the slot is overwritten by the next batch, while a query that goes
      // to an upstream is still read after this call returns.
      const start = i * slot;
      const query = Buffer.allocUnsafe(length);
      data.copy(query, 0, start, start + length);
      peer.offset = i * ADDRESS_BYTES;
      const answering = run(query, peer, started);
      if (answering === null) continue;
      if (answering instanceof Uint8Array) {
        replies[i] = answering;
        ready++;
      } else later(answering, Buffer.from(addresses.subarray(i * ADDRESS_BYTES, (i + 1) * ADDRESS_BYTES)));
    }
    if (ready > 0) onSyncReplies?.(ready, (performance.now() - started) / 1000);
    return replies;
  };
  let buffers;
  try {
    buffers = addon.start(handle, onBatch);
  } catch (err) {
    addon.close(handle);
    throw err;
  }
  data = Buffer.from(buffers.data);
  lengths = buffers.lengths;
  addresses = Buffer.from(buffers.addresses);
  peer = { bytes: addresses, offset: 0 };
  slot = buffers.slot;
  replies.length = buffers.batch;
  replies.fill(null);

  let final: SocketCounters | undefined;
  return {
    address: addon.localAddress(handle),
    mode: 'batched',
    counters: () => final ?? addon.stats(handle),
    // The socket is closed when this returns (the addon closes the fd synchronously).
    close: async () => {
      if (closed) return;
      closed = true;
      final = addon.stats(handle);
      addon.close(handle);
      log.debug({ ...final }, 'batched UDP socket closed');
    },
  };
}
