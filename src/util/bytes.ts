// Copying a byte range without allocating. Buffer.copy with offsets builds a Uint8Array view
// per call in Node 20 (and showed up as the top JS cost of sealing); a plain loop is faster for
// the short header, nonce and context copies, TypedArray.set for anything larger.

const SHORT = 64;

export function copyBytes(src: Uint8Array, srcStart: number, dst: Uint8Array, dstStart: number, length: number): void {
  if (length <= SHORT) {
    for (let i = 0; i < length; i++) dst[dstStart + i] = src[srcStart + i]!;
  } else {
    dst.set(src.subarray(srcStart, srcStart + length), dstStart);
  }
}
