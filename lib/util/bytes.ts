/**
 * Integer reads for hot loops. Plain byte arithmetic: unlike Buffer's read methods there is no
 * argument validation, so the caller must have checked the bounds.
 */
export const u16be = (b: Uint8Array, o: number): number => (b[o] << 8) | b[o + 1];
export const u32be = (b: Uint8Array, o: number): number => ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
export const i32be = (b: Uint8Array, o: number): number => (b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3];
export const u32le = (b: Uint8Array, o: number): number => (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24)) >>> 0;
