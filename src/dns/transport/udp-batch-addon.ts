// Loads the batched-UDP addon (native/udp-batch.c, built into dist/native/ by `npm run build`)
// once per thread. Missing or unloadable is not an error: the UDP server then uses dgram, and
// the reason is kept so the listener can log it.
import { addonPath, loadAddon, type Loaded } from '../../native-addon.js';
import type { SocketCounters } from './udp-server.js';

/** The opaque socket handle the addon hands out. */
export type BatchHandle = { readonly __udpBatch: unique symbol };

export interface BatchBuffers {
  /** `batch` slots of `slot` bytes: datagram i starts at i * slot. */
  data: ArrayBuffer;
  /** Length of datagram i; -1 when it did not fit its slot (cut by the kernel). */
  lengths: Int32Array;
  /** The sender of datagram i: ADDRESS_BYTES bytes of sockaddr at i * ADDRESS_BYTES. */
  addresses: ArrayBuffer;
  slot: number;
  batch: number;
}


export interface UdpBatchAddon {
  open(address: string, port: number, reusePort: boolean, bufferBytes: number): BatchHandle;
  localAddress(handle: BatchHandle): { address: string; family: 'IPv4' | 'IPv6'; port: number };
  bufferSizes(handle: BatchHandle): { recv: number; send: number };
  /** `onBatch(count)` returns, per datagram, its reply (a Uint8Array) or anything else for none. */
  start(handle: BatchHandle, onBatch: (count: number) => readonly unknown[]): BatchBuffers;
  sendTo(handle: BatchHandle, reply: Uint8Array, address: Uint8Array): boolean;
  stats(handle: BatchHandle): SocketCounters;
  close(handle: BatchHandle): void;
}

/** Bytes of one sender address in BatchBuffers.addresses (a sockaddr_in6, the larger family). */
export const ADDRESS_BYTES = 28;

export const ADDON_PATH = addonPath('udp-batch.node');

let loaded: Loaded<UdpBatchAddon> | undefined;

/** The addon, or why it cannot be had here. */
export function udpBatchAddon(): Loaded<UdpBatchAddon> {
  if (loaded === undefined) loaded = load();
  return loaded;
}

function load(): Loaded<UdpBatchAddon> {
  if (process.platform !== 'linux') return { reason: `recvmmsg/sendmmsg are Linux-only (this is ${process.platform})` };
  return loadAddon<UdpBatchAddon>('udp-batch.node');
}
