/**
 * Write a small, well-formed pcap (Ethernet, IPv4, TCP) of HTTP/1.1 conversations given as raw
 * bytes: each connection gets a handshake, its requests and responses in order (segments of at
 * most `mss` bytes, each acknowledged), and a four-way teardown. For tests that need exact bytes
 * on the wire (hostile header values, lone CRs) without a live capture.
 */
import * as fs from 'fs';

export interface HttpExchange {
  request: string | Buffer;
  response: string | Buffer;
}

const FIN = 0x01, SYN = 0x02, PSH = 0x08, ACK = 0x10;

export function writeHttpCapture(file: string, connections: HttpExchange[][], o: { mss?: number; serverPort?: number } = {}): void {
  const mss = o.mss ?? 1400;
  const serverPort = o.serverPort ?? 8080;
  const records: Buffer[] = [];
  const head = Buffer.alloc(24);
  head.writeUInt32LE(0xa1b2c3d4, 0);
  head.writeUInt16LE(2, 4);
  head.writeUInt16LE(4, 6);
  head.writeUInt32LE(262144, 16);
  head.writeUInt32LE(1, 20);
  records.push(head);
  let t = 1_700_000_000 * 1e6;
  const client = 0x7f000001;
  const server = 0x7f000001;
  const packet = (src: number, dst: number, sport: number, dport: number, seq: number, ack: number, flags: number, payload: Buffer = Buffer.alloc(0)) => {
    t += 1000;
    const ip = 20, tcp = 20;
    const frame = Buffer.alloc(14 + ip + tcp + payload.length);
    frame.writeUInt16BE(0x0800, 12);
    let p = 14;
    frame[p] = 0x45;
    frame.writeUInt16BE(ip + tcp + payload.length, p + 2);
    frame[p + 6] = 0x40;
    frame[p + 8] = 64;
    frame[p + 9] = 6;
    frame.writeUInt32BE(src, p + 12);
    frame.writeUInt32BE(dst, p + 16);
    let sum = 0;
    for (let i = 0; i < 20; i += 2) sum += frame.readUInt16BE(p + i);
    while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
    frame.writeUInt16BE(~sum & 0xffff, p + 10);
    p += ip;
    frame.writeUInt16BE(sport, p);
    frame.writeUInt16BE(dport, p + 2);
    frame.writeUInt32BE(seq >>> 0, p + 4);
    frame.writeUInt32BE(ack >>> 0, p + 8);
    frame.writeUInt16BE(((tcp / 4) << 12) | flags, p + 12);
    frame.writeUInt16BE(65535, p + 14);
    payload.copy(frame, p + tcp);
    // TCP checksum over the pseudo-header (RFC 9293 §3.1).
    let s = (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + 6 + tcp + payload.length;
    const seg = frame.subarray(p);
    for (let i = 0; i < seg.length; i += 2) s += i + 1 < seg.length ? seg.readUInt16BE(i) : seg[i] << 8;
    while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
    frame.writeUInt16BE(~s & 0xffff, p + 16);
    const rec = Buffer.alloc(16);
    rec.writeUInt32LE(Math.floor(t / 1e6), 0);
    rec.writeUInt32LE(t % 1e6, 4);
    rec.writeUInt32LE(frame.length, 8);
    rec.writeUInt32LE(frame.length, 12);
    records.push(rec, frame);
  };
  connections.forEach((exchanges, k) => {
    const cport = 40000 + k;
    let cseq = 1000 + k * 100000;
    let sseq = 5000 + k * 100000;
    packet(client, server, cport, serverPort, cseq, 0, SYN);
    packet(server, client, serverPort, cport, sseq, cseq + 1, SYN | ACK);
    cseq++;
    sseq++;
    packet(client, server, cport, serverPort, cseq, sseq, ACK);
    const send = (fromClient: boolean, data: Buffer) => {
      for (let off = 0; off < data.length; off += mss) {
        const chunk = data.subarray(off, off + mss);
        if (fromClient) {
          packet(client, server, cport, serverPort, cseq, sseq, PSH | ACK, chunk);
          cseq += chunk.length;
          packet(server, client, serverPort, cport, sseq, cseq, ACK);
        } else {
          packet(server, client, serverPort, cport, sseq, cseq, PSH | ACK, chunk);
          sseq += chunk.length;
          packet(client, server, cport, serverPort, cseq, sseq, ACK);
        }
      }
    };
    for (const x of exchanges) {
      send(true, Buffer.from(x.request));
      send(false, Buffer.from(x.response));
    }
    packet(client, server, cport, serverPort, cseq, sseq, FIN | ACK);
    cseq++;
    packet(server, client, serverPort, cport, sseq, cseq, ACK);
    packet(server, client, serverPort, cport, sseq, cseq, FIN | ACK);
    sseq++;
    packet(client, server, cport, serverPort, cseq, sseq, ACK);
  });
  fs.writeFileSync(file, Buffer.concat(records));
}

/** An HTTP response with a correct Content-Length. */
export function httpResponse(status: string, headers: Array<[string, string]>, body: string | Buffer): Buffer {
  const b = Buffer.from(body);
  const head = [`HTTP/1.1 ${status}`, ...headers.map(([k, v]) => `${k}: ${v}`), `Content-Length: ${b.length}`, '', ''].join('\r\n');
  return Buffer.concat([Buffer.from(head, 'utf8'), b]);
}
