/**
 * Bounded-concurrency mapping, shared by the KV and Upstash backends when they open a gallery.
 *
 * @module
 */

/**
 * Maps `items` through async `fn` with at most `limit` calls in flight, keeping order. Opening a
 * whole gallery at once would queue one WebCrypto job per face (100k pending jobs and buffers);
 * small batches are as fast and bound memory.
 */
export async function mapBatched<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const out: R[] = new Array(items.length);
  for (let i = 0; i < items.length; i += limit) {
    const part = await Promise.all(items.slice(i, i + limit).map(fn));
    for (let j = 0; j < part.length; j++) out[i + j] = part[j];
  }
  return out;
}

/** How many records a gallery read opens at once (see {@linkcode mapBatched}). */
export const OPEN_BATCH = 64;
