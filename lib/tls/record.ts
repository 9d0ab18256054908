/**
 * TLS record layer (RFC 8446 §5.1): a 5-byte header (content type, legacy version, length).
 * Only what reassembly needs: where records start and end. Like Wireshark, a record that does
 * not fit in the data asks for one more segment at a time.
 */

/** TCP ports on which tshark 4.0 decodes TLS by default. */
export const TSHARK_TLS_PORTS: ReadonlySet<number> = new Set([
  324, 443, 465, 636, 802, 853, 993, 995, 1300, 2221, 2443, 3249, 3250, 3251, 3252, 3496, 5061, 5671, 5684, 5868,
  8883, 11207, 19999, 27017,
]);

export interface TlsSplit {
  /** Complete records found, as [offset, length] including the header. */
  records: Array<[number, number]>;
  /** Offset of an incomplete record, or -1. */
  incompleteAt: number;
}

/** A plausible record header: type 20–24, version 3.x. */
export function isTlsRecordHeader(b: Buffer, off: number, end: number): boolean {
  if (end - off < 3) return end > off && b[off] >= 20 && b[off] <= 24;
  return b[off] >= 20 && b[off] <= 24 && b[off + 1] === 3 && b[off + 2] <= 4;
}

/** Split b[0, end) into TLS records; stops at the first byte that is not a record start. */
export function splitTlsRecords(b: Buffer, end: number): TlsSplit {
  const records: Array<[number, number]> = [];
  let off = 0;
  while (off < end) {
    if (!isTlsRecordHeader(b, off, end)) break;
    if (end - off < 5) return { records, incompleteAt: off };
    const len = 5 + b.readUInt16BE(off + 3);
    if (end - off < len) return { records, incompleteAt: off };
    records.push([off, len]);
    off += len;
  }
  return { records, incompleteAt: -1 };
}
