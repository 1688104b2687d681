/**
 * The index of the first entry whose position is greater than `after`, in entries sorted by
 * ascending position (binary search); `entries.length` when there is none.
 */
export function firstAfter(
  entries: readonly { readonly position: number }[],
  after: number,
): number {
  let low = 0;
  let high = entries.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (entries[mid]!.position <= after) low = mid + 1;
    else high = mid;
  }
  return low;
}
