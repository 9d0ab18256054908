/**
 * Streaming capture reader for pcap and pcapng.
 *
 * A push parser: feed it chunks of the file in order (`push`), then `end()`. It calls `onRecord`
 * once per packet with a view into its own buffer (valid only during the call), so memory stays
 * bounded by the largest record whatever the file size. Damage raises a `CaptureError` naming the
 * file offset; every packet before the damage has already been delivered.
 *
 * Formats: pcap (LE/BE, microsecond a1b2c3d4, nanosecond a1b23c4d, Kuznetzov "modified" a1b2cd34)
 * and pcapng (both byte orders, several sections and interfaces, if_tsresol / if_tsoffset,
 * EPB / SPB / obsolete PB; every other block is skipped).
 */
import { wiresharkReadsPcapLinkType } from './linktypes';
import { u32be, u32le } from '../util/bytes';
import { CaptureError } from './errors';

export interface CaptureInterface {
  linkType: number;
  snapLen: number;
  /** Timestamp units per second (10^6 unless if_tsresol says otherwise). */
  unitsPerSecond: number;
  /** if_tsoffset: seconds added to every timestamp. */
  tsOffset: number;
  name?: string;
  /** pcapng if_description. */
  description?: string;
  /** pcapng if_filter, when it is a libpcap filter string (the capture filter used). */
  filter?: string;
  /** pcapng if_os. */
  os?: string;
  /** Where the interface was described (pcap file header or pcapng IDB). */
  fileOffset?: number;
  /** The last Interface Statistics Block for this interface (pcapng), as the capturing tool counted. */
  stats?: InterfaceStats;
}

/** pcapng Interface Statistics Block options (counts are undefined when the tool did not record them). */
export interface InterfaceStats {
  /** isb_ifrecv: packets the interface received. */
  received?: number;
  /** isb_ifdrop: packets dropped by the interface (e.g. for lack of buffers). */
  ifDropped?: number;
  /** isb_osdrop: packets dropped by the operating system's capture buffer. */
  osDropped?: number;
  /** isb_filteraccept: packets the capture filter accepted. */
  filterAccepted?: number;
  /** isb_usrdeliv: packets delivered to the capturing program. */
  delivered?: number;
}

/** What a pcapng Section Header Block says about where the capture was made. */
export interface CaptureSection {
  /** shb_hardware, shb_os, shb_userappl. */
  hardware?: string;
  os?: string;
  application?: string;
}

/** Valid only during the `onRecord` call: the object and the memory behind `buf` are reused. */
export interface CaptureRecord {
  /** 1-based frame number, as Wireshark numbers frames. */
  frame: number;
  linkType: number;
  /** Index into `CaptureReader.interfaces` (global across pcapng sections). */
  interfaceId: number;
  tsSec: number;
  /** Nanoseconds; may exceed 10^9 in damaged pcap files (kept as is, like Wireshark). */
  tsNsec: number;
  /** False for records without a time stamp (pcapng simple packets, custom blocks): ts is 0. */
  hasTs: boolean;
  /** pcapng custom block (Wireshark shows it as a frame of raw data). */
  custom?: boolean;
  capLen: number;
  origLen: number;
  /** Packet bytes are buf[offset, offset + capLen). Valid only during the callback: copy what you keep. */
  buf: Buffer;
  offset: number;
  /** Offset of the record (or block) in the file. */
  fileOffset: number;
}

export type CaptureFormat = 'pcap' | 'pcapng';

/** Wireshark's limit for one packet (WTAP_MAX_PACKET_SIZE_STANDARD). */
export const MAX_PACKET_SIZE = 262144;
/** Wireshark's largest pcapng block: an EPB of the largest USB / D-Bus packet plus 128 KiB of options. */
export const MAX_BLOCK_SIZE = 32 + 128 * 1024 * 1024 + 131072;

/** Wireshark's limit for one packet of a link type: larger for USB and D-Bus (128 MiB) and EBHSCR (8 MiB). */
export function maxPacketSize(linkType: number): number {
  switch (linkType) {
    case 186: // USB
    case 189:
    case 220:
    case 249:
    case 266:
    case 231: // D-Bus
      return 128 * 1024 * 1024;
    case 279: // EBHSCR
      return 8 * 1024 * 1024;
    default:
      return MAX_PACKET_SIZE;
  }
}

const PCAPNG_SHB = 0x0a0d0d0a;
const BYTE_ORDER_MAGIC = 0x1a2b3c4d;

interface SectionState {
  le: boolean;
  /** Global interface ids of this section's interfaces, in IDB order. */
  ifaces: number[];
}

export class CaptureReader {
  format: CaptureFormat | undefined;
  readonly interfaces: CaptureInterface[] = [];
  /** pcapng sections in file order (empty for pcap). */
  readonly sections: CaptureSection[] = [];
  /** Non-fatal problems (e.g. captured length above the snapshot length). */
  readonly warnings: CaptureError[] = [];
  packets = 0;
  /** The file header (pcap) or first section header (pcapng) was accepted. */
  opened = false;
  /**
   * True while `onRecord` runs: if push throws with this set, the error is the consumer's, not
   * damage in the file (the readers in file.ts pass it on instead of reporting a bad capture).
   */
  inRecord = false;

  /** Unparsed bytes (fewer than `need`): the start of a record cut by a chunk boundary. */
  private pending: Buffer | undefined;
  /** File offset of the first unconsumed byte. */
  private base = 0;
  /** Bytes needed before parsing can make progress. */
  private need = 4;
  // pcap state
  private le = true;
  private nano = false;
  private recordHeaderLen = 16;
  /** Record lengths: 0 as written, 1 swapped (pcap before 2.3), 2 swapped where captured > original (2.3). */
  private swapped = 0;
  private pcapIface = 0;
  // pcapng state
  private section: SectionState | undefined;

  /** Packet records reuse one object (consumers copy what they keep; see CaptureRecord). */
  private readonly rec: CaptureRecord = { frame: 0, linkType: 0, interfaceId: 0, tsSec: 0, tsNsec: 0, hasTs: true, capLen: 0, origLen: 0, buf: Buffer.alloc(0), offset: 0, fileOffset: 0 };

  constructor(private readonly onRecord: (r: CaptureRecord) => void) {}

  /** Bytes consumed so far (the offset of the next unparsed byte). */
  get offset(): number {
    return this.base;
  }

  /**
   * Parse a chunk. Records are delivered as views of the chunk itself; only a record cut by a
   * chunk boundary is copied (with just the bytes it needs from the next chunk), so the data is
   * never copied whole. The caller may reuse the chunk's memory once `push` returns.
   */
  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    let pos = 0;
    while (this.pending) {
      const take = Math.min(this.need - this.pending.length, chunk.length - pos);
      const merged = Buffer.concat([this.pending, chunk.subarray(pos, pos + take)]);
      pos += take;
      this.pending = undefined;
      if (merged.length < this.need) {
        this.pending = merged;
        return;
      }
      this.run(merged);
    }
    if (pos === chunk.length) return;
    const rest = pos ? chunk.subarray(pos) : chunk;
    if (rest.length < this.need) this.pending = Buffer.from(rest);
    else this.run(rest);
  }

  private run(d: Buffer): void {
    const used = this.parse(d);
    this.base += used;
    if (used < d.length) this.pending = Buffer.from(d.subarray(used));
  }

  /** Call after the last chunk: reports a file that ends mid-header or mid-record. */
  end(): void {
    if (this.format === undefined) {
      const data = this.pending;
      if (this.base === 0 && !data) throw new CaptureError('empty', 0, 'the file is empty (0 bytes)');
      if (!data || data.length < 4) throw new CaptureError('not-a-capture', 0, 'the file is too short to be a capture');
      const m = data.readUInt32LE(0);
      if (isPcapMagic(m) || m === PCAPNG_SHB) {
        throw new CaptureError('truncated-header', this.base + data.length, `the file ends inside its ${m === PCAPNG_SHB ? 'pcapng section header' : 'pcap file header'} (${data.length} bytes)`);
      }
      throw new CaptureError('not-a-capture', 0, 'not a pcap or pcapng capture (unknown magic number)');
    }
    if (this.pending) {
      const what = this.format === 'pcap' ? 'packet record' : 'pcapng block';
      throw new CaptureError('truncated-record', this.base, `the file ends inside a ${what}: ${this.pending.length} of ${this.need} bytes present (cut off after ${this.packets} packets)`);
    }
  }

  private parse(d: Buffer): number {
    let pos = 0;
    if (this.format === undefined) {
      const m = d.readUInt32LE(0);
      if (m === PCAPNG_SHB) this.format = 'pcapng';
      else if (isPcapMagic(m)) {
        if (d.length < 24) {
          this.need = 24;
          return 0;
        }
        this.readPcapHeader(d);
        pos = 24;
      } else {
        throw new CaptureError('not-a-capture', 0, `not a pcap or pcapng capture (magic number 0x${m.toString(16).padStart(8, '0')})`);
      }
    }
    return this.format === 'pcap' ? this.parsePcap(d, pos) : this.parsePcapng(d, pos);
  }

  // ---- pcap ---------------------------------------------------------------------------------

  private readPcapHeader(d: Buffer): void {
    const m = d.readUInt32LE(0);
    this.le = m === 0xa1b2c3d4 || m === 0xa1b23c4d || m === 0xa1b2cd34;
    this.nano = m === 0xa1b23c4d || m === 0x4d3cb2a1;
    if (m === 0xa1b2cd34 || m === 0x34cdb2a1) this.recordHeaderLen = 24;
    this.format = 'pcap';
    const major = this.le ? d.readUInt16LE(4) : d.readUInt16BE(4);
    const minor = this.le ? d.readUInt16LE(6) : d.readUInt16BE(6);
    // As Wireshark's libpcap reader: versions before 2 are refused; before 2.3 the two lengths of
    // every record are swapped (old libpcap wrote them so), and in 2.3 they may be — when the
    // "captured" length exceeds the original one. 2.4 and anything later are read as 2.4.
    if (major < 2) throw new CaptureError('unsupported-version', 4, `pcap major version ${major} is not supported (only 2 and later)`);
    // Major version 543 (0x021f, a byte-swapped 2.31 of some old writer) always has them swapped, too.
    this.swapped = (major === 2 && minor < 3) || major === 543 ? 1 : major === 2 && minor === 3 ? 2 : 0;
    const snapLen = this.le ? d.readUInt32LE(16) : d.readUInt32BE(16);
    const network = this.le ? d.readUInt32LE(20) : d.readUInt32BE(20);
    if (network & 0x03ff0000) {
      throw new CaptureError('unknown-link-type', 20, `pcap link-type field has reserved bits set (0x${(network & 0x03ff0000).toString(16).padStart(8, '0')})`);
    }
    if (!wiresharkReadsPcapLinkType(network & 0xffff)) {
      throw new CaptureError('unknown-link-type', 20, `pcap link type ${network & 0xffff} is not one Wireshark reads, so the file cannot be decoded`);
    }
    this.pcapIface = this.interfaces.length;
    this.interfaces.push({ linkType: network & 0xffff, snapLen, unitsPerSecond: this.nano ? 1e9 : 1e6, tsOffset: 0, fileOffset: 20 });
    this.base = 0;
    this.opened = true;
  }

  private parsePcap(d: Buffer, pos: number): number {
    const le = this.le;
    const hl = this.recordHeaderLen;
    const iface = this.interfaces[this.pcapIface];
    const maxPacket = maxPacketSize(iface.linkType);
    const mult = this.nano ? 1 : 1000;
    for (;;) {
      if (d.length - pos < hl) {
        this.need = hl;
        return pos;
      }
      const sec = le ? u32le(d, pos) : u32be(d, pos);
      const frac = le ? u32le(d, pos + 4) : u32be(d, pos + 4);
      let capLen = le ? u32le(d, pos + 8) : u32be(d, pos + 8);
      let origLen = le ? u32le(d, pos + 12) : u32be(d, pos + 12);
      if (this.swapped === 1 || (this.swapped === 2 && capLen > origLen)) {
        const x = capLen;
        capLen = origLen;
        origLen = x;
      }
      if (capLen > maxPacket) {
        throw new CaptureError('bad-caplen', this.base + pos + 8, `packet ${this.packets + 1} claims ${capLen} captured bytes, more than the maximum of ${maxPacket}`);
      }
      if (d.length - pos < hl + capLen) {
        this.need = hl + capLen;
        return pos;
      }
      if (iface.snapLen > 0 && capLen > iface.snapLen && this.warnings.length < 100) {
        this.warnings.push(new CaptureError('bad-caplen', this.base + pos + 8, `packet ${this.packets + 1} has ${capLen} captured bytes, more than the snapshot length ${iface.snapLen}`));
      }
      this.packets++;
      const r = this.rec;
      r.frame = this.packets;
      r.linkType = iface.linkType;
      r.interfaceId = this.pcapIface;
      r.tsSec = sec;
      r.tsNsec = frac * mult;
      r.hasTs = true;
      r.capLen = capLen;
      r.origLen = origLen;
      r.buf = d;
      r.offset = pos + hl;
      r.fileOffset = this.base + pos;
      this.inRecord = true;
      this.onRecord(r);
      this.inRecord = false;
      pos += hl + capLen;
    }
  }

  // ---- pcapng -------------------------------------------------------------------------------

  private parsePcapng(d: Buffer, pos: number): number {
    for (;;) {
      const avail = d.length - pos;
      if (avail < 12) {
        this.need = 12;
        return pos;
      }
      const at = this.base + pos;
      let type = d.readUInt32LE(pos);
      let le: boolean;
      if (type === PCAPNG_SHB) {
        const bom = d.readUInt32LE(pos + 8);
        if (bom === BYTE_ORDER_MAGIC) le = true;
        else if (bom === 0x4d3c2b1a) le = false;
        else throw new CaptureError('bad-block', at + 8, `pcapng section header has an unknown byte-order magic 0x${bom.toString(16)}`);
      } else {
        if (!this.section) throw new CaptureError('bad-block', at, 'pcapng file does not start with a section header block');
        le = this.section.le;
        if (!le) type = d.readUInt32BE(pos);
      }
      // pcapng §3.1 asks for a multiple of 4; Wireshark rounds a length that is not up and reads on.
      const len = roundUp4(le ? d.readUInt32LE(pos + 4) : d.readUInt32BE(pos + 4));
      const min = MIN_BLOCK[type] ?? 12;
      if (len < min) throw new CaptureError('bad-block', at + 4, `pcapng block length ${len} is smaller than the ${min}-byte minimum of its type`);
      if (len > MAX_BLOCK_SIZE) throw new CaptureError('bad-block', at + 4, `pcapng block length ${len} is larger than the maximum of ${MAX_BLOCK_SIZE}`);
      if (avail < len) {
        this.need = len;
        return pos;
      }
      // Wireshark reads the trailing length where the block's reader stopped: the block's end for
      // every type but the Simple Packet Block, whose reader stops after its packet data.
      // (type, length, packet length, the data and its padding for an SPB).
      const body = type === 3 ? 12 + roundUp4(this.simplePacket(d, pos, len, le, at).capLen) : len - 4;
      const trailer = roundUp4(le ? d.readUInt32LE(pos + body) : d.readUInt32BE(pos + body));
      if (trailer !== len) {
        throw new CaptureError('bad-block', at + body, `pcapng block length ${len} at the start does not match ${trailer} at the end`);
      }
      this.block(d, pos, len, type, le, at);
      pos += body + 4;
    }
  }

  /**
   * A Simple Packet Block's interface and lengths: always interface 0; the captured length is the
   * packet length cut to the snapshot length, and the block must hold it.
   */
  private simplePacket(d: Buffer, pos: number, len: number, le: boolean, at: number): { id: number; origLen: number; capLen: number } {
    const id = this.section!.ifaces[0];
    if (id === undefined) throw new CaptureError('bad-interface', at, 'pcapng simple packet block without an interface description');
    const origLen = le ? d.readUInt32LE(pos + 8) : d.readUInt32BE(pos + 8);
    const snap = this.interfaces[id].snapLen;
    const capLen = snap > 0 ? Math.min(origLen, snap) : origLen;
    if (16 + roundUp4(capLen) > len) throw new CaptureError('bad-caplen', at + 8, `pcapng simple packet of ${capLen} bytes does not fit its ${len}-byte block`);
    return { id, origLen, capLen };
  }

  private block(d: Buffer, pos: number, len: number, type: number, le: boolean, at: number): void {
    const u16 = (o: number) => (le ? d.readUInt16LE(o) : d.readUInt16BE(o));
    const u32 = (o: number) => (le ? d.readUInt32LE(o) : d.readUInt32BE(o));
    const end = pos + len - 4; // start of the trailing length
    const delta = at - pos;
    switch (type) {
      case PCAPNG_SHB: {
        const major = u16(pos + 12);
        const minor = u16(pos + 14);
        if (!(major === 1 && (minor === 0 || minor === 2))) {
          throw new CaptureError('unsupported-version', at + 12, `pcapng section version ${major}.${minor} is not supported (only 1.0)`);
        }
        this.section = { le, ifaces: [] };
        const sec: CaptureSection = {};
        forEachOption(d, pos + 24, end, le, delta, 'shb', (code, o, olen) => {
          if (code === 2) sec.hardware = d.toString('utf8', o, o + olen);
          else if (code === 3) sec.os = d.toString('utf8', o, o + olen);
          else if (code === 4) sec.application = d.toString('utf8', o, o + olen);
        });
        this.sections.push(sec);
        this.opened = true;
        return;
      }
      case 1: {
        // Interface Description Block
        const iface: CaptureInterface = { linkType: u16(pos + 8), snapLen: u32(pos + 12), unitsPerSecond: 1e6, tsOffset: 0, fileOffset: at + 8 };
        let tsresol = false;
        let tsoffset = false;
        forEachOption(d, pos + 16, end, le, delta, 'idb', (code, o, olen) => {
          // As Wireshark: if_tsresol only with its 1 byte, if_tsoffset only with its 8; the first one counts.
          if (code === 9 && olen === 1 && !tsresol) {
            const r = d[o];
            iface.unitsPerSecond = r & 0x80 ? 2 ** (r & 0x7f) : 10 ** r;
            tsresol = true;
          } else if (code === 14 && olen === 8 && !tsoffset) {
            const hi = le ? d.readInt32LE(o + 4) : d.readInt32BE(o);
            const lo = le ? d.readUInt32LE(o) : d.readUInt32BE(o + 4);
            iface.tsOffset = hi * 4294967296 + lo;
            tsoffset = true;
          } else if (code === 2) {
            iface.name = d.toString('utf8', o, o + olen);
          } else if (code === 3) {
            iface.description = d.toString('utf8', o, o + olen);
          } else if (code === 11 && olen >= 1 && d[o] === 0) {
            // if_filter: the first byte says what follows; 0 = a libpcap filter string.
            iface.filter = d.toString('utf8', o + 1, o + olen);
          } else if (code === 12) {
            iface.os = d.toString('utf8', o, o + olen);
          }
        });
        this.section!.ifaces.push(this.interfaces.length);
        this.interfaces.push(iface);
        return;
      }
      case 6:
      case 2: {
        // Enhanced Packet Block, obsolete Packet Block
        const capLen = u32(pos + 20);
        const origLen = u32(pos + 24);
        if (28 + roundUp4(capLen) > len - 4) throw new CaptureError('bad-caplen', at + 20, `pcapng packet claims ${capLen} captured bytes but its block holds only ${len - 32}`);
        const local = type === 6 ? u32(pos + 8) : u16(pos + 8);
        const id = this.section!.ifaces[local];
        if (id === undefined) throw new CaptureError('bad-interface', at + 8, `pcapng packet names interface ${local}, but the section describes only ${this.section!.ifaces.length}`);
        const max = maxPacketSize(this.interfaces[id].linkType);
        if (capLen > max) throw new CaptureError('bad-caplen', at + 20, `pcapng packet claims ${capLen} captured bytes, more than the maximum of ${max}`);
        forEachOption(d, pos + 28 + roundUp4(capLen), end, le, delta, 'packet');
        this.deliver(id, u32(pos + 12), u32(pos + 16), capLen, origLen, d, pos + 28, at, true);
        return;
      }
      case 3: {
        // Simple Packet Block: no timestamp.
        const { id, origLen, capLen } = this.simplePacket(d, pos, len, le, at);
        const max = maxPacketSize(this.interfaces[id].linkType);
        if (capLen > max) throw new CaptureError('bad-caplen', at + 8, `pcapng simple packet of ${capLen} bytes is larger than the maximum of ${max}`);
        this.deliver(id, 0, 0, capLen, origLen, d, pos + 12, at, false);
        return;
      }
      case 4:
        this.nameResolution(d, pos, end, le, at);
        return;
      case 0x00000bad:
      case 0x40000bad:
      case 0x204:
      case 0x216:
      case 0x221:
      case 9: {
        // Custom blocks (and Sysdig / systemd-journal ones): Wireshark lists each as a frame of its data.
        const custom = type === 0xbad || type === 0x40000bad;
        const capLen = len - (custom ? 16 : 12);
        this.packets++;
        this.inRecord = true;
        this.onRecord({ frame: this.packets, linkType: -1, interfaceId: -1, tsSec: 0, tsNsec: 0, hasTs: false, custom: true, capLen, origLen: capLen, buf: d, offset: pos + (custom ? 12 : 8), fileOffset: at });
        this.inRecord = false;
        return;
      }
      case 5: {
        // Interface Statistics Block: the capturing tool's own counts (drops among them). A damaged
        // option stops Wireshark's reading here too, so it stops ours.
        const id = this.section!.ifaces[u32(pos + 8)];
        const stats: InterfaceStats = {};
        const u64 = (o: number) => (le ? d.readUInt32LE(o + 4) * 4294967296 + d.readUInt32LE(o) : d.readUInt32BE(o) * 4294967296 + d.readUInt32BE(o + 4));
        forEachOption(d, pos + 20, end, le, delta, 'isb', (code, o, olen) => {
          if (olen !== 8) return;
          if (code === 4) stats.received = u64(o);
          else if (code === 5) stats.ifDropped = u64(o);
          else if (code === 6) stats.filterAccepted = u64(o);
          else if (code === 7) stats.osDropped = u64(o);
          else if (code === 8) stats.delivered = u64(o);
        });
        if (id !== undefined) this.interfaces[id].stats = stats;
        return;
      }
      case 10: {
        // Decryption Secrets Block: Wireshark reads the secrets' length even past a short block and
        // then that many bytes; a block that cannot hold them makes it read to the end of the file.
        const secretsLen = pos + 16 <= d.length ? u32(pos + 12) : 0;
        if (secretsLen > 1024 * 1024 * 1024) throw new CaptureError('bad-block', at + 12, `pcapng decryption secrets block claims ${secretsLen} bytes of secrets`);
        if (len < 20 || secretsLen > len - 20) throw new CaptureError('bad-block', at + 12, `pcapng decryption secrets block claims ${secretsLen} bytes of secrets but holds only ${Math.max(0, len - 20)}`);
        return;
      }
      default:
        return; // unknown and local blocks carry nothing we analyse
    }
  }

  /**
   * Name Resolution Block (pcapng §4.5): records until the end record, then options. Nothing in it
   * is analysed, but Wireshark checks every record (its length, the addresses' sizes, each name's
   * terminating NUL) and stops reading at a bad one, so the reader does too.
   */
  private nameResolution(d: Buffer, pos: number, end: number, le: boolean, at: number): void {
    const u16 = (o: number) => (le ? d.readUInt16LE(o) : d.readUInt16BE(o));
    let o = pos + 8;
    while (o < end) {
      const type = u16(o);
      const rlen = u16(o + 2);
      const left = end - o - 4;
      if (type === 0) {
        // nrb_record_end: whatever follows its header is the block's options (its own length is not skipped).
        o += 4;
        break;
      }
      if (roundUp4(rlen) > left) throw new CaptureError('bad-block', at + (o - pos), `pcapng name record of ${rlen} bytes runs past its block (${left} left)`);
      if (type === 1 || type === 2) {
        const addr = type === 1 ? 4 : 16;
        if (rlen < addr) throw new CaptureError('bad-block', at + (o - pos), `pcapng IPv${type === 1 ? 4 : 6} name record of ${rlen} bytes is shorter than its address`);
        if (rlen > addr && d[o + 4 + rlen - 1] !== 0) throw new CaptureError('bad-block', at + (o - pos), 'pcapng name record has a host name without its terminating NUL');
      }
      o += 4 + roundUp4(rlen);
    }
    forEachOption(d, o, end, le, at - pos, 'nrb');
  }

  private deliver(id: number, hi: number, lo: number, capLen: number, origLen: number, d: Buffer, dataPos: number, at: number, hasTs: boolean): void {
    const iface = this.interfaces[id];
    let sec: number;
    let nsec: number;
    const u = iface.unitsPerSecond;
    const units = hi * 4294967296 + lo;
    if ((u === 1e6 || u === 1e3 || u === 1) && units <= Number.MAX_SAFE_INTEGER) {
      sec = Math.floor(units / u);
      nsec = (units - sec * u) * (1e9 / u);
      if (nsec < 0) {
        sec -= 1;
        nsec += 1e9;
      } else if (nsec >= 1e9) {
        sec += 1;
        nsec -= 1e9;
      }
    } else {
      // Exact 64-bit arithmetic, truncating like Wireshark's wiretap.
      const t = (BigInt(hi) << 32n) | BigInt(lo);
      const U = BigInt(u);
      sec = Number(t / U);
      nsec = Number(((t % U) * 1000000000n) / U);
    }
    this.packets++;
    const r = this.rec;
    r.frame = this.packets;
    r.linkType = iface.linkType;
    r.interfaceId = id;
    r.tsSec = hasTs ? sec + iface.tsOffset : 0;
    r.tsNsec = nsec;
    r.hasTs = hasTs;
    r.capLen = capLen;
    r.origLen = origLen;
    r.buf = d;
    r.offset = dataPos;
    r.fileOffset = at;
    this.inRecord = true;
    this.onRecord(r);
    this.inRecord = false;
  }
}

function isPcapMagic(m: number): boolean {
  return (
    m === 0xa1b2c3d4 || m === 0xd4c3b2a1 || m === 0xa1b23c4d || m === 0x4d3cb2a1 || m === 0xa1b2cd34 || m === 0x34cdb2a1
  );
}

/** Blocks whose options Wireshark checks, each with its own rules (packet blocks have the most). */
type OptionsOf = 'shb' | 'idb' | 'packet' | 'nrb' | 'isb';

/** Packet-block options with a fixed length in Wireshark's reader: epb_flags, epb_dropcount, epb_packetid, epb_queue. */
const PACKET_OPTION_LENGTH: Record<number, number> = { 2: 4, 4: 8, 5: 8, 6: 4 };

/**
 * Walk pcapng options (§3.5) in [o, end), checking them as Wireshark's reader does; a bad one stops
 * the reading (`bad-option`): an option whose length, rounded up to 4, runs past the block (even
 * opt_endofopt), a custom option without room for its Private Enterprise Number, a packet option of
 * the wrong size, an empty if_filter. Options after opt_endofopt are not read.
 */
function forEachOption(d: Buffer, o: number, end: number, le: boolean, fileDelta: number, of: OptionsOf, fn?: (code: number, valueAt: number, len: number) => void): void {
  const bad = (detail: string) => new CaptureError('bad-option', fileDelta + o, detail);
  while (o + 4 <= end) {
    const code = le ? d.readUInt16LE(o) : d.readUInt16BE(o);
    const olen = le ? d.readUInt16LE(o + 2) : d.readUInt16BE(o + 2);
    if (o + 4 + roundUp4(olen) > end) throw bad(`pcapng option ${code} claims ${olen} bytes but only ${end - o - 4} remain in its block`);
    if (code === 0) return; // opt_endofopt
    if (code === 2988 || code === 2989 || code === 19372 || code === 19373) {
      if (olen < 4) throw bad(`pcapng custom option of ${olen} bytes has no room for its enterprise number`);
      // Wireshark stops, without a message, at a Netflix (PEN 10949) option too short for its type.
      const pen = le ? d.readUInt32LE(o + 4) : d.readUInt32BE(o + 4);
      if (pen === 10949 && olen < 8) throw bad(`pcapng custom option for enterprise 10949 of ${olen} bytes is too short (Wireshark stops reading here without saying why)`);
    } else if (of === 'packet') {
      const want = PACKET_OPTION_LENGTH[code];
      if (want !== undefined && olen !== want) throw bad(`pcapng packet option ${code} is ${olen} bytes, not ${want}`);
      if (code === 7 && (olen < 1 || ((d[o + 4] === 1 || d[o + 4] === 2) && olen !== 9))) throw bad(`pcapng packet verdict option of ${olen} bytes is malformed`);
    } else if (of === 'idb' && code === 11 && olen === 0) {
      throw bad('pcapng interface filter option is empty');
    }
    fn?.(code, o + 4, olen);
    o += 4 + roundUp4(olen);
  }
}

/** Round up to a multiple of 4 without 32-bit overflow (lengths near 2^32 stay large). */
function roundUp4(n: number): number {
  return Math.ceil(n / 4) * 4;
}

/** Smallest block of each type Wireshark reads (pcapng §4; 12 for other and unknown types). */
const MIN_BLOCK: Record<number, number> = { [PCAPNG_SHB]: 28, 1: 20, 2: 32, 3: 16, 4: 16, 5: 24, 6: 32, 0xbad: 16, 0x40000bad: 16, 0x204: 36, 0x216: 40, 0x221: 40, 9: 35 };
