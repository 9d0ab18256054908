/**
 * Which frames tshark shows TLS in (the `tls` display filter): on a connection it decodes as TLS
 * (a TLS port), a segment shows TLS when a record ends in it — a whole record, or the last piece
 * of one reassembled from earlier segments. A segment in the middle of a long record is only "a
 * segment of a reassembled PDU". Records are followed per direction from in-order segments, as
 * Wireshark's TLS desegmentation sees them (retransmitted and out-of-order segments are not
 * handed to it).
 */
import { Packet } from '../decode/packet';
import { isTlsRecordHeader } from '../tls/record';
import { Ta, TcpConversation, TcpFrameInfo } from '../tcp/analysis';

interface Direction {
  /** Sequence number where the record being reassembled ends (int32), when one is. */
  pendingEnd: number;
  pending: boolean;
}

export class TlsPresence {
  private readonly state = new Map<TcpConversation, [Direction, Direction]>();

  /** Does this frame (on a TLS connection) show TLS? Call for every TCP frame of such connections, in order. */
  frame(p: Packet, t: TcpFrameInfo): boolean {
    const h = p.tcp!;
    const len = h.payloadLen;
    if (t.bogus || len === 0 || p.payloadCaptured < len || t.flags & (Ta.RETRANSMISSION | Ta.SPURIOUS_RETRANSMISSION | Ta.OUT_OF_ORDER)) return false;
    let dirs = this.state.get(t.conv);
    if (!dirs) this.state.set(t.conv, (dirs = [{ pendingEnd: 0, pending: false }, { pendingEnd: 0, pending: false }]));
    const d = dirs[t.dir1 ? 0 : 1];
    const seq = h.seq | 0;
    let pos = 0;
    let shown = false;
    if (d.pending) {
      const need = (d.pendingEnd - seq) | 0;
      if (need > len) return false;
      d.pending = false;
      shown = true;
      pos = Math.max(0, need);
    }
    const b = p.bytes;
    const o = p.payloadOffset;
    while (pos < len) {
      if (!isTlsRecordHeader(b, o + pos, o + len)) return true; // not a record: tshark still shows TLS ("Ignored Unknown Record")
      if (len - pos < 5) {
        // The header itself continues in the next segment: that segment ends the record at the earliest.
        d.pending = true;
        d.pendingEnd = (seq + len + 1) | 0;
        return shown;
      }
      const recLen = 5 + ((b[o + pos + 3] << 8) | b[o + pos + 4]);
      if (pos + recLen > len) {
        d.pending = true;
        d.pendingEnd = (seq + pos + recLen) | 0;
        return shown;
      }
      shown = true;
      pos += recLen;
    }
    return shown;
  }
}
