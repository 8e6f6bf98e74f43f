// Storage for sealed values that do not go straight into the record arena (hash fields, large
// or spilled strings, sealed key names). Small ones are carved from shared 64 KiB slabs instead
// of each getting its own ArrayBuffer: a per-value ArrayBuffer and its backing-store bookkeeping
// cost more than a 32-byte value sealed.
// Only ciphertext lives here; plaintext never comes from a shared pool.
//
// A slab is freed by the GC once no value in it is referenced any more (the same trade-off as
// Node's own Buffer pool): overwrites leave holes until their whole slab is released.

const SLAB_BYTES = 64 * 1024;
/** Values above this get a buffer of their own, so one large survivor cannot pin a slab. */
const MAX_SLAB_VALUE = 4 * 1024;

export class SlabAllocator {
  private slab = Buffer.allocUnsafeSlow(SLAB_BYTES);
  private used = 0;

  alloc(size: number): Buffer {
    if (size > MAX_SLAB_VALUE) return Buffer.allocUnsafeSlow(size);
    if (this.used + size > SLAB_BYTES) {
      this.slab = Buffer.allocUnsafeSlow(SLAB_BYTES);
      this.used = 0;
    }
    const out = this.slab.subarray(this.used, this.used + size);
    // 8-byte alignment keeps neighbouring values on separate words; cheap and tidy.
    this.used += (size + 7) & ~7;
    return out;
  }
}
