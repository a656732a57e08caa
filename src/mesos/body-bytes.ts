// A body gathered from many small chunks (socket reads of 64 KiB, gzip output of 16 KiB) into a
// few large blocks. Why: glibc serves blocks under the mmap threshold (128 KiB, set by
// bin/mesos-dns-ts.js) from its heap, and thousands of them, freed after a large body, leave the
// heap fragmented and resident: a refused 256 MiB chunked body kept ~230 MiB of RSS for good
// (docs/performance.md). Large blocks are mmapped and go back to the system when collected, and
// each small chunk is free again as soon as it is copied.

const BLOCK = 8 * 1024 * 1024;

export class BodyBytes {
  readonly #blocks: Buffer[] = [];
  #used = 0;
  #length = 0;

  get length(): number {
    return this.#length;
  }

  push(chunk: Uint8Array): void {
    let at = 0;
    while (at < chunk.length) {
      let block = this.#blocks.at(-1);
      if (block === undefined || this.#used === block.length) {
        block = Buffer.allocUnsafeSlow(BLOCK);
        this.#blocks.push(block);
        this.#used = 0;
      }
      const n = Math.min(block.length - this.#used, chunk.length - at);
      block.set(chunk.subarray(at, at + n), this.#used);
      this.#used += n;
      at += n;
    }
    this.#length += chunk.length;
  }

  /** The whole body in one buffer; the blocks are dropped. */
  take(): Buffer {
    const out = Buffer.allocUnsafeSlow(this.#length);
    let at = 0;
    for (const block of this.#blocks) {
      const n = Math.min(block.length, this.#length - at);
      out.set(block.subarray(0, n), at);
      at += n;
    }
    this.#blocks.length = 0;
    return out;
  }
}
