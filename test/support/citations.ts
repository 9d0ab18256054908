/**
 * Check every frame the narrative names against tshark: a sentence that calls frame N a SYN, a FIN,
 * "GET /x" or "200" must be right about frame N. For messages tshark 4.0 does not show as HTTP
 * (a HEAD among pipelined responses, a start line of a cut segment), the frame's own payload
 * (tcp.payload) must begin with the start line the sentence states.
 */
import { spawnSync } from 'child_process';
import { Block, Cite } from '../../lib';

interface FrameFacts {
  syn: boolean;
  ack: boolean;
  fin: boolean;
  rst: boolean;
  len: number;
  ackRaw: number;
  retransmission: boolean;
  methods: string[];
  uris: string[];
  codes: number[];
  /** The captured payload's first line (latin1). */
  firstLine: string;
}

const FIELDS = [
  'frame.number', 'tcp.flags.syn', 'tcp.flags.ack', 'tcp.flags.fin', 'tcp.flags.reset', 'tcp.len', 'tcp.ack_raw',
  'tcp.analysis.retransmission', 'tcp.analysis.fast_retransmission', 'tcp.analysis.spurious_retransmission',
  'http.request.method', 'http.request.uri', 'http.response.code', 'tcp.payload', 'tcp.segment_data',
];

export function tsharkFrames(file: string, httpPorts: number[]): Map<number, FrameFacts> {
  const args = ['-2', '-n', '-r', file, '-T', 'fields', '-E', 'occurrence=a', '-E', 'aggregator=\u001f'];
  for (const p of httpPorts) args.push('-d', `tcp.port==${p},http`);
  for (const f of FIELDS) args.push('-e', f);
  const r = spawnSync('tshark', args, { encoding: 'utf8', maxBuffer: 1 << 30 });
  const out = new Map<number, FrameFacts>();
  for (const line of r.stdout.split('\n')) {
    if (!line) continue;
    const c = line.split('\t');
    const list = (s: string) => (s ? s.split('\u001f') : []);
    // The segment's bytes: tcp.payload when TCP shows them, tcp.segment_data when they went into a reassembly.
    const hex = c[13] || c[14] || '';
    const payload = Buffer.from(hex.replace(/[^0-9a-f]/gi, ''), 'hex').toString('latin1');
    out.set(Number(c[0]), {
      syn: c[1] === '1' || c[1] === 'True',
      ack: c[2] === '1' || c[2] === 'True',
      fin: c[3] === '1' || c[3] === 'True',
      rst: c[4] === '1' || c[4] === 'True',
      len: Number(c[5] || 0),
      ackRaw: Number(c[6] || -1),
      retransmission: !!(c[7] || c[8] || c[9]),
      methods: list(c[10]),
      uris: list(c[11]),
      codes: list(c[12]).map(Number),
      firstLine: payload.split(/\r?\n/)[0],
    });
  }
  return out;
}

/** Every cite that is wrong, as "frame N: claim … but tshark says …". */
export function wrongCitations(blocks: Block[], frames: Map<number, FrameFacts>): string[] {
  const bad: string[] = [];
  for (const b of blocks) {
    const cites: Cite[] = (b as { cites?: Cite[] }).cites ?? [];
    for (const c of cites) {
      const f = frames.get(c.frame);
      const say = (why: string) => bad.push(`frame ${c.frame} cited as ${c.claim}${c.method ? ` ${c.method} ${c.uri}` : ''}${c.code ? ` ${c.code}` : ''}: ${why}`);
      if (!f) {
        if (c.claim !== 'frame') say('tshark has no TCP frame with that number');
        continue;
      }
      switch (c.claim) {
        case 'syn':
          if (!f.syn || f.ack) say('not a SYN');
          break;
        case 'syn-ack':
          if (!f.syn || !f.ack) say('not a SYN-ACK');
          break;
        case 'ack':
          if (!f.ack) say('ACK flag not set');
          else if (c.ackRaw !== undefined && f.ackRaw !== c.ackRaw) say(`ack_raw is ${f.ackRaw}, not ${c.ackRaw}`);
          break;
        case 'fin':
          if (!f.fin) say('FIN not set');
          break;
        case 'rst':
          if (!f.rst) say('RST not set');
          break;
        case 'data':
          if (!(f.len > 0)) say('carries no payload');
          break;
        case 'retransmission':
          if (!f.retransmission) say('not a retransmission for tshark');
          break;
        case 'request': {
          const byTshark = (c.method === undefined || f.methods.includes(c.method)) && (c.uri === undefined || f.uris.includes(c.uri)) && f.methods.length > 0;
          const byBytes = c.method !== undefined && f.firstLine.startsWith(`${c.method} ${c.uri ?? ''}`);
          if (!byTshark && !byBytes) say(`tshark: ${f.methods.join(',')} ${f.uris.join(',')}; payload starts "${f.firstLine.slice(0, 60)}"`);
          break;
        }
        case 'response': {
          const byTshark = f.codes.length > 0 && (c.code === undefined || f.codes.includes(c.code));
          const byBytes = c.code !== undefined && new RegExp(`^HTTP/1\\.[01] ${c.code}( |$)`).test(f.firstLine);
          if (!byTshark && !byBytes) say(`tshark: ${f.codes.join(',')}; payload starts "${f.firstLine.slice(0, 60)}"`);
          break;
        }
        default:
          break;
      }
    }
  }
  return bad;
}
