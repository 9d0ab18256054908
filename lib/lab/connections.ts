/**
 * What each of the lab's connections was for and why it ended, measured from the capture:
 * preconnects (opened before the page arrived), parallel vs one-after-another use, keep-alive
 * reuse, and the evidence for each close — `Connection: close`, HTTP/1.0, the server's idle
 * timeout set against what it advertised, a media download the client abandoned, the browser
 * closing everything at once, or a close the capture did not reach.
 */
import { TcpFrame } from '../analysis';
import { TH_FIN, TH_RST } from '../decode/tcp';
import { header, LabExchange, LabMessage, responseComplete } from './http';
import { connectionOptions, keepAliveParams } from './headers';
import { Side, sideOf, Orientation, Teardown } from './tcp';

export type ConnectionRole =
  /** It carried the page. */
  | 'page'
  /** Opened before the page's response arrived (the browser's speculative preconnect), used later for resources. */
  | 'preconnect-used'
  /** Opened before the page's response arrived and never used. */
  | 'preconnect-unused'
  /** Opened to fetch resources after the page arrived. */
  | 'resources'
  /** Carried requests, but the page is not in the capture to relate them to. */
  | 'requests'
  /** Already open when the capture started (no SYN captured), and carried requests. */
  | 'existing'
  /** Never carried a request (and no page to call it a preconnect). */
  | 'unused';

export type CloseReason =
  /** The last response (or its request) said `Connection: close` (RFC 9112 §9.6). */
  | { kind: 'connection-close'; message: LabMessage; by: 'request' | 'response' }
  /** HTTP/1.0 without keep-alive: the server closes after each response (RFC 9112 §9.3). */
  | { kind: 'http10'; message: LabMessage }
  /** The server closed a connection idle for `idle` seconds; `advertised`: its Keep-Alive timeout, when it stated one. */
  | { kind: 'server-idle'; idle: number; advertised?: number; advertisedIn?: LabMessage; unused: boolean }
  /** The client gave up on a media response it no longer needed (a seek, a new Range request). */
  | { kind: 'media-abort'; exchange: LabExchange; next?: LabExchange }
  /** The client closed while a response was still arriving. */
  | { kind: 'client-abort'; exchange: LabExchange }
  /**
   * The client closed this and other connections together (the browser or tab closing); with
   * `together` empty: it closed the last lab connection still open, after which the lab's traffic ends.
   */
  | { kind: 'client-exit'; together: number[]; spread: number; unfinished?: LabExchange }
  /** A tool (curl, …) closed when its transfer was done. */
  | { kind: 'client-done'; after: number }
  /** The client closed an idle connection, with no other evidence of why. */
  | { kind: 'client-idle'; idle: number }
  /** The server closed, with no evidence of why. */
  | { kind: 'server-other'; idle: number; advertised?: number }
  /** No FIN or RST was captured: the connection was still open when the capture stopped. */
  | { kind: 'not-captured' };

export interface CloseFacts {
  /** Who sent the first FIN or RST. */
  by?: Side;
  /** The first FIN or RST. */
  frame?: TcpFrame;
  how: 'fin' | 'rst' | 'none';
  reason: CloseReason;
  /** Seconds from the last payload on the connection to `frame`. */
  idle?: number;
}

/** Time of the last payload (either side) before `t`. */
function lastDataBefore(frames: TcpFrame[], t: number): number | undefined {
  let last: number | undefined;
  for (const f of frames) {
    if (f.time > t) break;
    if (f.len > 0 && !(f.flags & (TH_FIN | TH_RST))) last = f.time;
  }
  return last;
}

export interface CloseInput {
  stream: number;
  orientation: Orientation;
  frames: TcpFrame[];
  teardown: Teardown;
  exchanges: LabExchange[];
  /** The client is a tool (curl …), not a browser. */
  tool: boolean;
}

/** How long after each other closes may start and still be "together" (one browser action). */
export const TOGETHER = 0.2;

/** What a close is judged against: the other connections, indexed so each look-up is cheap. */
export interface CloseContext {
  /** Request targets of the page's media (audio, video). */
  mediaTargets: ReadonlySet<string>;
  /** Exchanges by request target. */
  byTarget: Map<string, LabExchange[]>;
  /** Client first-closes of all lab connections, sorted by time. */
  clientCloses: Array<{ time: number; stream: number }>;
  /** Per connection: when it was opened (first frame) and when its last frame was; for "still open at t". */
  spans: Array<{ stream: number; first: number; last: number }>;
}

export function closeContext(all: CloseInput[], mediaTargets: ReadonlySet<string>): CloseContext {
  const byTarget = new Map<string, LabExchange[]>();
  for (const c of all)
    for (const e of c.exchanges) {
      const t = e.request?.uri;
      if (t === undefined) continue;
      (byTarget.get(t) ?? byTarget.set(t, []).get(t)!).push(e);
    }
  const clientCloses: CloseContext['clientCloses'] = [];
  for (const c of all) {
    const f = firstClose(c);
    if (f && f.by === 'client') clientCloses.push({ time: f.frame.time, stream: c.stream });
  }
  clientCloses.sort((a, b) => a.time - b.time);
  const spans = all.filter((c) => c.frames.length).map((c) => ({ stream: c.stream, first: c.frames[0].time, last: c.frames[c.frames.length - 1].time }));
  return { mediaTargets, byTarget, clientCloses, spans };
}

/** Client closes within `w` seconds of t (binary search, then a scan of the window). */
function closesNear(ctx: CloseContext, t: number, w: number): Array<{ time: number; stream: number }> {
  const a = ctx.clientCloses;
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (a[mid].time < t - w) lo = mid + 1;
    else hi = mid;
  }
  const out: Array<{ time: number; stream: number }> = [];
  for (let i = lo; i < a.length && a[i].time <= t + w; i++) out.push(a[i]);
  return out;
}

export function closeFacts(c: CloseInput, ctx: CloseContext): CloseFacts {
  const first = firstClose(c);
  if (!first) return { how: 'none', reason: { kind: 'not-captured' } };
  const { frame, by } = first;
  const how = frame.flags & TH_RST && !(frame.flags & TH_FIN) ? 'rst' : 'fin';
  const lastData = lastDataBefore(c.frames, frame.time);
  const idle = lastData === undefined ? undefined : frame.time - lastData;
  const done = c.exchanges.filter((e) => e.response && e.response.time <= frame.time);
  const lastEx = done[done.length - 1];
  // A response cut by the snapshot length may well have been whole on the wire: only a missing or unfinished one is "open".
  const open = c.exchanges.find((e) => e.request && e.request.time <= frame.time && e.response?.partial !== 'truncated' && e.request.partial !== 'truncated' && e.response?.pduEnd === undefined && !responseComplete(e));
  const base = { by, frame, how, idle } as const;

  // Evidence in the messages comes first: what the protocol says must happen.
  if (lastEx?.response) {
    const res = lastEx.response;
    const req = lastEx.request;
    if (connectionOptions(res).includes('close')) return { ...base, reason: { kind: 'connection-close', message: res, by: 'response' } };
    if (req && connectionOptions(req).includes('close')) return { ...base, reason: { kind: 'connection-close', message: req, by: 'request' } };
    if (res.version === 'HTTP/1.0' && !connectionOptions(res).includes('keep-alive')) return { ...base, reason: { kind: 'http10', message: res } };
  }
  if (by === 'client') {
    // Closing everything at once (the browser or tab going away) explains an unfinished response too.
    const together = closesNear(ctx, frame.time, TOGETHER).filter((x) => x.stream !== c.stream);
    if (together.length) {
      const times = [frame.time, ...together.map((x) => x.time)];
      return { ...base, reason: { kind: 'client-exit', together: together.map((x) => x.stream), spread: Math.max(...times) - Math.min(...times), unfinished: open } };
    }
    if (open) {
      const target = open.request?.uri;
      if (target !== undefined && ctx.mediaTargets.has(target)) {
        const next = (ctx.byTarget.get(target) ?? []).find((e) => e !== open && e.request!.start >= open.request!.start && Math.abs(e.request!.start - frame.time) < 2);
        return { ...base, reason: { kind: 'media-abort', exchange: open, next } };
      }
      return { ...base, reason: { kind: 'client-abort', exchange: open } };
    }
    if (c.tool && lastEx && idle !== undefined && idle < 1) return { ...base, reason: { kind: 'client-done', after: idle } };
    // The last lab connection still open, and nothing of the lab after it: what a client does on exit.
    const othersOpen = ctx.spans.some((s) => s.stream !== c.stream && s.first <= frame.time && s.last > frame.time);
    const laterStart = ctx.spans.some((s) => s.first > frame.time);
    if (!othersOpen && !laterStart && ctx.spans.length > 1) return { ...base, reason: { kind: 'client-exit', together: [], spread: 0 } };
    return { ...base, reason: { kind: 'client-idle', idle: idle ?? frame.time - (c.frames[0]?.time ?? frame.time) } };
  }
  // The server closed without saying so in a message: an idle timeout, if the idle time fits.
  const ka = [...c.exchanges].reverse().find((e) => e.response && header(e.response, 'keep-alive'));
  const advertised = ka ? keepAliveParams(header(ka.response, 'keep-alive')).timeout : undefined;
  const quiet = idle ?? frame.time - (c.frames[0]?.time ?? frame.time);
  const unused = !c.exchanges.some((e) => e.request);
  // A server's idle timer fires at or after its timeout, never before; coarse timers add up to ~1 s.
  const fits = advertised === undefined ? quiet >= 1 : quiet >= advertised - 0.05 && quiet <= advertised + Math.max(1.5, advertised * 0.5);
  if (!open && fits) return { ...base, reason: { kind: 'server-idle', idle: quiet, advertised, advertisedIn: ka?.response, unused } };
  return { ...base, reason: { kind: 'server-other', idle: quiet, advertised } };
}

function firstClose(c: CloseInput): { frame: TcpFrame; by: Side } | undefined {
  const t = c.teardown;
  const fin = t.fins[0];
  const rst = t.rst;
  if (fin && (!rst || fin.frame.frame < rst.frame.frame)) return { frame: fin.frame, by: fin.by };
  if (rst) return { frame: rst.frame, by: rst.by };
  return undefined;
}

/** The time span during which a connection carried requests: first request start → last response complete. */
export function activeSpan(exchanges: LabExchange[]): { from: number; to: number } | undefined {
  let from = Infinity;
  let to = -Infinity;
  for (const e of exchanges) {
    const s = e.request?.start ?? e.response?.start;
    const t = e.response?.time ?? e.request?.time;
    if (s !== undefined) from = Math.min(from, s);
    if (t !== undefined) to = Math.max(to, t);
  }
  return from <= to ? { from, to } : undefined;
}

/**
 * Pairs of connections whose active spans overlap (used at the same time): a sweep over spans
 * sorted by start, linear in connections plus overlapping pairs.
 */
export function overlaps(spans: Array<{ stream: number; from: number; to: number }>): Map<number, number[]> {
  const out = new Map<number, number[]>();
  const sorted = [...spans].sort((a, b) => a.from - b.from);
  const active: typeof spans = [];
  for (const s of sorted) {
    for (let i = active.length - 1; i >= 0; i--) if (active[i].to <= s.from) active.splice(i, 1);
    for (const a of active) {
      (out.get(a.stream) ?? out.set(a.stream, []).get(a.stream)!).push(s.stream);
      (out.get(s.stream) ?? out.set(s.stream, []).get(s.stream)!).push(a.stream);
    }
    active.push(s);
  }
  return out;
}

export { sideOf };
