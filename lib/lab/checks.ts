/**
 * The lab's requirements checked on the capture (the report's 实验要求核对表 and batch mode): each
 * is met, not met, or cannot be judged because its evidence is not in the capture — never "met"
 * without the frames that show it.
 */
import { header, LabExchange, responseComplete } from './http';
import { Asset, assetOf, deliveringExchange, sniffedOf } from './page';
import { LabConnection, LabModel } from './model';
import { parseContentRange } from './headers';

export type CheckStatus = 'pass' | 'fail' | 'unknown';

export interface Check<T = unknown> {
  id: 'identity' | 'logo' | 'audio' | 'http' | 'handshake' | 'teardown';
  status: CheckStatus;
  /** Why, as a code the narrative words (e.g. 'no-page', 'not-jpeg'). */
  why: string;
  evidence: T;
}

export interface LabChecks {
  identity: Check<{ fields: number }>;
  logo: Check<{ asset?: Asset; exchange?: LabExchange }>;
  audio: Check<{ asset?: Asset; exchange?: LabExchange; ranged?: LabExchange }>;
  http: Check<{ exchanges: number; tls: number }>;
  handshake: Check<{ connection?: LabConnection }>;
  teardown: Check<{ connection?: LabConnection }>;
}

export function labChecks(lab: LabModel): LabChecks {
  return {
    identity: identityCheck(lab),
    logo: logoCheck(lab),
    audio: audioCheck(lab),
    http: httpCheck(lab),
    handshake: handshakeCheck(lab),
    teardown: teardownCheck(lab),
  };
}

function identityCheck(lab: LabModel): LabChecks['identity'] {
  const p = lab.page;
  if (!p) return { id: 'identity', status: lab.exchanges.length ? 'unknown' : 'fail', why: lab.exchanges.length ? 'no-page' : 'no-http', evidence: { fields: 0 } };
  const n = p.identityFields;
  return { id: 'identity', status: n === 3 ? 'pass' : 'fail', why: n === 3 ? 'found' : n === 0 ? 'none-on-page' : 'some-missing', evidence: { fields: n } };
}

/** JPEG proven by both the Content-Type and the bytes (FF D8 FF). */
function logoCheck(lab: LabModel): LabChecks['logo'] {
  if (!lab.page) return { id: 'logo', status: lab.exchanges.length ? 'unknown' : 'fail', why: lab.exchanges.length ? 'no-page' : 'no-http', evidence: {} };
  const asset = assetOf(lab.page, 'logo');
  if (!asset) return { id: 'logo', status: 'fail', why: 'no-img', evidence: {} };
  const ex = deliveringExchange(asset);
  if (!ex) return { id: 'logo', status: 'unknown', why: 'not-requested', evidence: { asset } };
  if (ex.request?.method === 'HEAD' && !asset.exchanges.some((e) => e.request?.method !== 'HEAD')) return { id: 'logo', status: 'unknown', why: 'head-only', evidence: { asset, exchange: ex } };
  if (!ex.response) return { id: 'logo', status: 'unknown', why: 'no-response', evidence: { asset, exchange: ex } };
  if (ex.response.partial && !ex.response.headers.length) return { id: 'logo', status: 'unknown', why: 'response-partial', evidence: { asset, exchange: ex } };
  const code = ex.response.code ?? 0;
  if (code < 200 || code >= 300) return { id: 'logo', status: 'fail', why: 'status', evidence: { asset, exchange: ex } };
  const sniffed = sniffedOf(ex);
  if (!sniffed || !ex.response.body?.length) return { id: 'logo', status: 'unknown', why: 'body-not-captured', evidence: { asset, exchange: ex } };
  const typeOk = ex.mediaType === 'image/jpeg' || ex.mediaType === 'image/jpg' || ex.mediaType === 'image/pjpeg';
  if (sniffed.type === 'jpeg' && typeOk) return { id: 'logo', status: 'pass', why: 'jpeg', evidence: { asset, exchange: ex } };
  return { id: 'logo', status: 'fail', why: sniffed.type === 'jpeg' ? 'type-not-jpeg' : 'not-jpeg', evidence: { asset, exchange: ex } };
}

/**
 * The MP3 delivered: by Content-Type and bytes (ID3 tag or an MPEG audio frame). A browser asks for
 * media with Range and gets 206 + Content-Range (RFC 9110 §14.2, §15.3.7); a server without range
 * support answers 200 with the whole file, and a tool like curl sends no Range at all — the
 * evidence says which.
 */
function audioCheck(lab: LabModel): LabChecks['audio'] {
  if (!lab.page) return { id: 'audio', status: lab.exchanges.length ? 'unknown' : 'fail', why: lab.exchanges.length ? 'no-page' : 'no-http', evidence: {} };
  const asset = assetOf(lab.page, 'audio');
  if (!asset) return { id: 'audio', status: 'fail', why: 'no-audio', evidence: {} };
  if (!asset.exchanges.length) return { id: 'audio', status: 'fail', why: 'not-requested', evidence: { asset } };
  const ranged = asset.exchanges.find((e) => header(e.request, 'range') !== undefined && e.response?.code === 206 && parseContentRange(header(e.response, 'content-range'))?.first !== undefined);
  const ex = ranged ?? deliveringExchange(asset);
  if (!ex?.response) return { id: 'audio', status: 'unknown', why: 'no-response', evidence: { asset, exchange: ex } };
  if (ex.response.partial && !ex.response.headers.length) return { id: 'audio', status: 'unknown', why: 'response-partial', evidence: { asset, exchange: ex } };
  const code = ex.response.code ?? 0;
  if (code !== 200 && code !== 206) return { id: 'audio', status: 'fail', why: 'status', evidence: { asset, exchange: ex } };
  if (ex.mediaType !== 'audio/mpeg' && ex.mediaType !== 'audio/mp3') return { id: 'audio', status: 'fail', why: 'type-not-mp3', evidence: { asset, exchange: ex, ranged } };
  // A range that does not start at byte 0 need not begin with a frame header: judge bytes only from 0.
  const from0 = code === 200 || parseContentRange(header(ex.response, 'content-range'))?.first === 0;
  const sniffed = sniffedOf(ex);
  if (from0 && ex.response.body?.length && sniffed && sniffed.type !== 'mp3') return { id: 'audio', status: 'fail', why: 'not-mp3', evidence: { asset, exchange: ex, ranged } };
  if (ranged) return { id: 'audio', status: 'pass', why: responseComplete(ranged) ? 'mp3-206' : 'mp3-206-partial', evidence: { asset, exchange: ex, ranged } };
  // A 206 must say which range it carries (RFC 9110 §14.4): without a readable Content-Range it proves nothing.
  if (code === 206) return { id: 'audio', status: 'fail', why: 'bad-content-range', evidence: { asset, exchange: ex } };
  return { id: 'audio', status: 'pass', why: header(ex.request, 'range') ? 'mp3-200-range-ignored' : 'mp3-200-no-range', evidence: { asset, exchange: ex } };
}

function httpCheck(lab: LabModel): LabChecks['http'] {
  const tls = lab.other.tcp.filter((g) => g.kind === 'tls' || g.kind === 'tls-to-http').reduce((n, g) => n + g.connections.length, 0);
  const n = lab.counts.requests + lab.counts.orphanResponses;
  if (n > 0) return { id: 'http', status: 'pass', why: tls ? 'http-and-tls' : 'http', evidence: { exchanges: n, tls } };
  return { id: 'http', status: 'fail', why: tls ? 'tls-only' : 'no-http', evidence: { exchanges: 0, tls } };
}

/** The connection a chapter shows: the page's when it qualifies, else the first lab connection that does. */
export function pickConnection(lab: LabModel, ok: (c: LabConnection) => boolean): LabConnection | undefined {
  const pageConn = lab.connections.find((c) => c.role === 'page');
  if (pageConn && ok(pageConn)) return pageConn;
  return lab.connections.find(ok);
}

function handshakeCheck(lab: LabModel): LabChecks['handshake'] {
  const c = pickConnection(lab, (x) => x.handshake.complete);
  if (c) return { id: 'handshake', status: 'pass', why: 'complete', evidence: { connection: c } };
  const partial = pickConnection(lab, (x) => !!(x.handshake.syn || x.handshake.synAck));
  return { id: 'handshake', status: 'fail', why: partial ? 'partial' : lab.connections.length ? 'none' : 'no-connections', evidence: { connection: partial } };
}

function teardownCheck(lab: LabModel): LabChecks['teardown'] {
  const c = pickConnection(lab, (x) => x.teardown.complete);
  if (c) return { id: 'teardown', status: 'pass', why: 'complete', evidence: { connection: c } };
  const some = pickConnection(lab, (x) => x.teardown.fins.length > 0 || !!x.teardown.rst);
  return { id: 'teardown', status: 'fail', why: some ? (some.teardown.fins.length ? 'partial' : 'rst') : lab.connections.length ? 'none' : 'no-connections', evidence: { connection: some } };
}
