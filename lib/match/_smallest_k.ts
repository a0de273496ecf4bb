/**
 * The `k` smallest of `items` under the strict order `less`, sorted ascending, in O(n log k) with
 * a bounded max-heap (the whole list is never sorted). `items` is not modified.
 */
export function smallestK(
  items: ArrayLike<number>,
  k: number,
  less: (a: number, b: number) => boolean,
): number[] {
  const heap: number[] = [];
  const siftDown = (i: number): void => {
    const size = heap.length;
    for (;;) {
      const l = 2 * i + 1, r = l + 1;
      let top = i;
      if (l < size && less(heap[top], heap[l])) top = l;
      if (r < size && less(heap[top], heap[r])) top = r;
      if (top === i) return;
      [heap[i], heap[top]] = [heap[top], heap[i]];
      i = top;
    }
  };
  for (let n = 0; n < items.length; n++) {
    const x = items[n];
    if (heap.length < k) {
      heap.push(x);
      let i = heap.length - 1;
      while (i > 0) {
        const parent = (i - 1) >> 1;
        if (!less(heap[parent], heap[i])) break;
        [heap[i], heap[parent]] = [heap[parent], heap[i]];
        i = parent;
      }
    } else if (k > 0 && less(x, heap[0])) {
      heap[0] = x;
      siftDown(0);
    }
  }
  return heap.sort((a, b) => (less(a, b) ? -1 : less(b, a) ? 1 : 0));
}
