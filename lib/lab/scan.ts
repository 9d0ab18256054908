/**
 * The first pass over a large capture: only what deciding the lab's traffic needs (chooseScope's
 * evidence — the HTML pages' bodies, the requests' User-Agents, who sent each request), kept per
 * exchange in a few fields, with the HTTP analyzer forgetting each connection once it closed. The
 * second pass (analyzeLab) then keeps frames for the lab's connections alone.
 */
import { readCaptureFile } from '../capture/file';
import { PacketDecoder } from '../decode';
import { HttpAnalyzer, HttpMessage, messageHeader } from '../http/analyzer';
import { TcpAnalyzer } from '../tcp/analysis';
import { LabExchange, LabMessage } from './http';
import { isHtmlResponse, readCandidate } from './page';
import { chooseScope, LabScope } from './traffic';
import { Endpoint, Orientation } from './tcp';
import { mediaType } from './content';

/** Headers chooseScope and the page reader look at; the rest of a head is dropped at once. */
const KEPT = ['user-agent', 'sec-ch-ua', 'content-type', 'content-encoding', 'content-length', 'transfer-encoding'];
/** HTML bodies kept while looking for the page (the page is small; a crawl is not a lab). */
const HTML_BUDGET = 32 << 20;

export interface ScopeScan {
  scope: LabScope;
  /** Every TCP connection's two endpoints, by stream. */
  connections: Array<{ stream: number; a: Endpoint; b: Endpoint }>;
}

function lean(m: HttpMessage, keepBody: boolean): LabMessage {
  const headers = m.headers.filter(([k]) => KEPT.includes(k.toLowerCase()));
  return { frame: m.frame, stream: m.stream, isRequest: m.isRequest, method: m.method, uri: m.uri, version: m.version, code: m.code, phrase: m.phrase, headers, bodyLength: m.bodyLength, body: keepBody ? m.body : undefined, start: 0, time: 0, frames: [m.frame] };
}

export async function scanForScope(file: string): Promise<ScopeScan> {
  const decoder = new PacketDecoder();
  const tcp = new TcpAnalyzer(true, false);
  // Weak: an exchange the analyzer has forgotten (keepHistory off) takes its messages with it.
  const byExchange = new WeakMap<object, LabExchange>();
  const exchanges: LabExchange[] = [];
  const orientation = new Map<number, Orientation>();
  let sender: Endpoint | undefined;
  let receiver: Endpoint | undefined;
  let htmlBytes = 0;
  const http = new HttpAnalyzer(
    {
      onMessage: (m) => {
        if (m.stream < 0) return;
        let ex = byExchange.get(m.exchange);
        if (!ex) {
          ex = { stream: m.stream, position: 0, interim: [], pipelined: false };
          byExchange.set(m.exchange, ex);
          exchanges.push(ex);
        }
        if (m.isRequest) {
          ex.request = lean(m, false);
          if (sender && receiver && !orientation.has(m.stream)) orientation.set(m.stream, { client: sender, server: receiver, evidence: 'request' });
        } else {
          const type = messageHeader(m, 'content-type');
          const html = !!m.body && (/html/i.test(type ?? '') || !type) && htmlBytes + m.body.length <= HTML_BUDGET;
          if (html) htmlBytes += m.body!.length;
          ex.response = lean(m, html);
          ex.contentType = type;
          ex.mediaType = mediaType(type);
          if (sender && receiver && !orientation.has(m.stream)) orientation.set(m.stream, { client: receiver, server: sender, evidence: 'request' });
        }
      },
    },
    { keepBodies: true, keepHistory: false, forgetClosedAfter: 1000 },
  );
  const read = await readCaptureFile(file, (r) => {
    const p = decoder.decode(r);
    const t = tcp.analyze(p);
    if (!t) return;
    sender = { addr: p.ipSrc, port: p.tcp!.srcPort };
    receiver = { addr: p.ipDst, port: p.tcp!.dstPort };
    http.frame(p, t);
  });
  void read;
  let profile: LabExchange | undefined;
  for (const ex of exchanges) {
    if (!isHtmlResponse(ex)) continue;
    const c = readCandidate(ex);
    if (c && c.fields >= 2) {
      profile = ex;
      break;
    }
  }
  const scope = chooseScope(exchanges, (s) => orientation.get(s), profile);
  return { scope, connections: tcp.conversations.map((c) => ({ stream: c.stream, a: { addr: c.flow1.addr, port: c.flow1.port }, b: { addr: c.flow2.addr, port: c.flow2.port } })) };
}
