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
/** Larger pcapng blocks are refused rather than buffered (Wireshark uses the same order of limit). */
export const MAX_BLOCK_SIZE = 16 * 1024 * 1024 + 4096;

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
    this.swapped = major === 2 && minor < 3 ? 1 : major === 2 && minor === 3 ? 2 : 0;
    const snapLen = this.le ? d.readUInt32LE(16) : d.readUInt32BE(16);
    const network = this.le ? d.readUInt32LE(20) : d.readUInt32BE(20);
    if (network & 0x03ff0000) {
      throw new CaptureError('unknown-link-type', 20, `pcap link-type field has reserved bits set (0x${(network & 0x03ff0000).toString(16).padStart(8, '0')})`);
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
      if (capLen > MAX_PACKET_SIZE) {
        throw new CaptureError('bad-caplen', this.base + pos + 8, `packet ${this.packets + 1} claims ${capLen} captured bytes, more than the maximum of ${MAX_PACKET_SIZE}`);
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
      const len = le ? d.readUInt32LE(pos + 4) : d.readUInt32BE(pos + 4);
      if (len < 12 || len % 4 !== 0) {
        throw new CaptureError('bad-block', at + 4, `pcapng block length ${len} is ${len < 12 ? 'smaller than the 12-byte minimum' : 'not a multiple of 4'}`);
      }
      if (len > MAX_BLOCK_SIZE) throw new CaptureError('bad-block', at + 4, `pcapng block length ${len} is larger than the maximum of ${MAX_BLOCK_SIZE}`);
      if (avail < len) {
        this.need = len;
        return pos;
      }
      const trailer = le ? d.readUInt32LE(pos + len - 4) : d.readUInt32BE(pos + len - 4);
      if (trailer !== len) {
        throw new CaptureError('bad-block', at + len - 4, `pcapng block length ${len} at the start does not match ${trailer} at the end`);
      }
      this.block(d, pos, len, type, le, at);
      pos += len;
    }
  }

  private block(d: Buffer, pos: number, len: number, type: number, le: boolean, at: number): void {
    const u16 = (o: number) => (le ? d.readUInt16LE(o) : d.readUInt16BE(o));
    const u32 = (o: number) => (le ? d.readUInt32LE(o) : d.readUInt32BE(o));
    const end = pos + len - 4; // start of the trailing length
    switch (type) {
      case PCAPNG_SHB: {
        if (len < 28) throw new CaptureError('bad-block', at, `pcapng section header block is too short (${len} bytes)`);
        const major = u16(pos + 12);
        const minor = u16(pos + 14);
        if (!(major === 1 && (minor === 0 || minor === 2))) {
          throw new CaptureError('unsupported-version', at + 12, `pcapng section version ${major}.${minor} is not supported (only 1.0)`);
        }
        this.section = { le, ifaces: [] };
        const sec: CaptureSection = {};
        forEachOption(d, pos + 24, end, le, at - pos, (code, o, olen) => {
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
        if (len < 20) throw new CaptureError('bad-block', at, `pcapng interface block is too short (${len} bytes)`);
        const iface: CaptureInterface = { linkType: u16(pos + 8), snapLen: u32(pos + 12), unitsPerSecond: 1e6, tsOffset: 0, fileOffset: at + 8 };
        forEachOption(d, pos + 16, end, le, at - pos, (code, o, olen) => {
          if (code === 9 && olen >= 1) {
            const r = d[o];
            iface.unitsPerSecond = r & 0x80 ? 2 ** (r & 0x7f) : 10 ** r;
          } else if (code === 14 && olen >= 8) {
            const hi = le ? d.readInt32LE(o + 4) : d.readInt32BE(o);
            const lo = le ? d.readUInt32LE(o) : d.readUInt32BE(o + 4);
            iface.tsOffset = hi * 4294967296 + lo;
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
        if (len < 32) throw new CaptureError('bad-block', at, `pcapng packet block is too short (${len} bytes)`);
        const local = type === 6 ? u32(pos + 8) : u16(pos + 8);
        const id = this.section!.ifaces[local];
        if (id === undefined) throw new CaptureError('bad-interface', at + 8, `pcapng packet names interface ${local}, but the section describes only ${this.section!.ifaces.length}`);
        const capLen = u32(pos + 20);
        const origLen = u32(pos + 24);
        if (capLen > end - (pos + 28)) throw new CaptureError('bad-caplen', at + 20, `pcapng packet claims ${capLen} captured bytes but its block holds only ${end - pos - 28}`);
        if (capLen > MAX_PACKET_SIZE) throw new CaptureError('bad-caplen', at + 20, `pcapng packet claims ${capLen} captured bytes, more than the maximum of ${MAX_PACKET_SIZE}`);
        checkOptions(d, pos + 28 + pad4(capLen), end, le, at - pos);
        this.deliver(id, u32(pos + 12), u32(pos + 16), capLen, origLen, d, pos + 28, at, true);
        return;
      }
      case 3: {
        // Simple Packet Block: always interface 0, no timestamp.
        const id = this.section!.ifaces[0];
        if (id === undefined) throw new CaptureError('bad-interface', at, 'pcapng simple packet block without an interface description');
        const origLen = u32(pos + 8);
        const iface = this.interfaces[id];
        let capLen = Math.min(origLen, end - (pos + 12));
        if (iface.snapLen > 0) capLen = Math.min(capLen, iface.snapLen);
        this.deliver(id, 0, 0, capLen, origLen, d, pos + 12, at, false);
        return;
      }
      case 0x00000bad:
      case 0x40000bad: {
        // Custom blocks: Wireshark lists them as frames holding the block's data.
        const capLen = len - 16;
        if (capLen < 0) throw new CaptureError('bad-block', at, `pcapng custom block is too short (${len} bytes)`);
        this.packets++;
        this.inRecord = true;
        this.onRecord({ frame: this.packets, linkType: -1, interfaceId: -1, tsSec: 0, tsNsec: 0, hasTs: false, custom: true, capLen, origLen: capLen, buf: d, offset: pos + 12, fileOffset: at });
        this.inRecord = false;
        return;
      }
      case 5: {
        // Interface Statistics Block: the capturing tool's own counts (drops among them).
        if (len < 24) throw new CaptureError('bad-block', at, `pcapng interface statistics block is too short (${len} bytes)`);
        const id = this.section!.ifaces[u32(pos + 8)];
        const stats: InterfaceStats = {};
        const u64 = (o: number) => (le ? d.readUInt32LE(o + 4) * 4294967296 + d.readUInt32LE(o) : d.readUInt32BE(o) * 4294967296 + d.readUInt32BE(o + 4));
        // Read only what is well formed: statistics were never a reason to stop reading packets.
        try {
          forEachOption(d, pos + 20, end, le, at - pos, (code, o, olen) => {
            if (olen !== 8) return;
            if (code === 4) stats.received = u64(o);
            else if (code === 5) stats.ifDropped = u64(o);
            else if (code === 6) stats.filterAccepted = u64(o);
            else if (code === 7) stats.osDropped = u64(o);
            else if (code === 8) stats.delivered = u64(o);
          });
        } catch (e) {
          if (!(e instanceof CaptureError)) throw e;
        }
        if (id !== undefined) this.interfaces[id].stats = stats;
        return;
      }
      default:
        return; // NRB, DSB, custom and unknown blocks carry nothing we analyse
    }
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

function pad4(n: number): number {
  return (n + 3) & ~3;
}

/** Walk pcapng options in [o, end); throws `bad-option` if one runs past the block. */
function forEachOption(d: Buffer, o: number, end: number, le: boolean, fileDelta: number, fn?: (code: number, valueAt: number, len: number) => void): void {
  while (o + 4 <= end) {
    const code = le ? d.readUInt16LE(o) : d.readUInt16BE(o);
    const olen = le ? d.readUInt16LE(o + 2) : d.readUInt16BE(o + 2);
    if (code === 0) return; // opt_endofopt
    if (o + 4 + olen > end) {
      throw new CaptureError('bad-option', fileDelta + o, `pcapng option ${code} claims ${olen} bytes but only ${end - o - 4} remain in its block`);
    }
    fn?.(code, o + 4, olen);
    o += 4 + pad4(olen);
  }
}

function checkOptions(d: Buffer, o: number, end: number, le: boolean, fileDelta: number): void {
  forEachOption(d, o, end, le, fileDelta);
}
