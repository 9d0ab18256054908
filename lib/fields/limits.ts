/**
 * The memory `wirenote fields` may use, and the typed error when it would need more. Like tshark,
 * it keeps every TCP conversation (stream numbers depend on it) and, for the fields that look
 * ahead, a record per conversation and per HTTP exchange; a capture of millions of connections
 * could exhaust the JavaScript heap, which ends the process without a word. Checked now and then
 * instead: past MEMORY_SHARE of the heap's limit, reading stops with a FieldsLimitError naming
 * what filled it and how to allow more.
 */
import { getHeapStatistics } from 'v8';

/** Share of the heap limit past which `fields` stops (the rest is room for the collector). */
export const MEMORY_SHARE = 0.85;

export class FieldsLimitError extends Error {
  override readonly name = 'FieldsLimitError';
  constructor(
    /** What was being kept when the limit was reached. */
    readonly connections: number,
    readonly exchanges: number,
    readonly usedMb: number,
    readonly limitMb: number,
  ) {
    super(
      `memory limit reached: ${connections} TCP connections and ${exchanges} HTTP exchanges kept ` +
        `(${usedMb} MB of the ${limitMb} MB JavaScript heap); ` +
        'allow more with NODE_OPTIONS=--max-old-space-size=<MB>, or ask for fewer look-ahead fields',
    );
  }
}

/** The young generation's share of V8's heap_size_limit, which objects that stay never reach. */
const YOUNG_GENERATION = 64 << 20;

/** Throws FieldsLimitError when the heap is nearly full (call every few thousand records). */
export function checkMemory(connections: number, exchanges: number): void {
  const h = getHeapStatistics();
  if (h.used_heap_size > MEMORY_SHARE * (h.heap_size_limit - YOUNG_GENERATION)) {
    throw new FieldsLimitError(connections, exchanges, Math.round(h.used_heap_size / 2 ** 20), Math.round(h.heap_size_limit / 2 ** 20));
  }
}
