/**
 * A response body as the browser sees it: the HTTP layer has already undone the transfer coding
 * (chunked, RFC 9112 §7.1); here the content codings are undone (gzip, deflate, br — RFC 9110
 * §8.4), under a size cap against decompression bombs, and the text is decoded with the charset
 * the response declares (RFC 9110 §8.3.2) or the page's `<meta charset>`. Also: what a body *is*,
 * from its first bytes (JPEG, MP3, PNG, ICO, …), since a Content-Type can say anything.
 */
import * as zlib from 'zlib';
import { TextDecoder } from 'util';

/** Decoded bytes kept per body; a bigger result is cut here and said to be cut. */
export const MAX_DECODED_BODY = 8 << 20;

export interface DecodedBody {
  /** The content after undoing every content coding we could (possibly cut at MAX_DECODED_BODY). */
  bytes: Buffer;
  /** Content codings as the response listed them, in the order they were applied. */
  codings: string[];
  /** Codings undone (in the order undone). */
  undone: string[];
  /** A coding we cannot undo (e.g. zstd) or a stream that is damaged: the bytes are as far as we got. */
  problem?: { coding: string; kind: 'unsupported' | 'damaged' | 'incomplete' };
  /** The decoded result reached MAX_DECODED_BODY and was cut there. */
  capped: boolean;
}

function inflate(coding: string, b: Buffer, cap: number): { out: Buffer; capped: boolean; problem?: 'damaged' | 'incomplete' } {
  const run = (lenient: boolean): Buffer => {
    const flush = lenient ? zlib.constants.Z_SYNC_FLUSH : zlib.constants.Z_FINISH;
    const opts = { maxOutputLength: cap + 1, finishFlush: flush };
    if (coding === 'gzip' || coding === 'x-gzip') return zlib.gunzipSync(b, opts);
    if (coding === 'br') {
      const bflush = lenient ? zlib.constants.BROTLI_OPERATION_FLUSH : zlib.constants.BROTLI_OPERATION_FINISH;
      return zlib.brotliDecompressSync(b, { maxOutputLength: cap + 1, finishFlush: bflush });
    }
    // "deflate" is the zlib format (RFC 1950), but some servers send raw deflate (RFC 1951).
    try {
      return zlib.inflateSync(b, opts);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw e;
      return zlib.inflateRawSync(b, opts);
    }
  };
  const tooLarge = (e: unknown) => (e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE';
  try {
    const out = run(false);
    return out.length > cap ? { out: out.subarray(0, cap), capped: true } : { out, capped: false };
  } catch (e) {
    // Decode again as a stream, keeping only the first `cap` bytes.
    if (tooLarge(e)) return { out: firstBytesOf(coding, b, cap), capped: true };
  }
  // The stream did not end properly: a body cut short (early stop, loss) still yields its beginning.
  try {
    const out = run(true);
    return out.length > cap ? { out: out.subarray(0, cap), capped: true, problem: 'incomplete' } : { out, capped: false, problem: 'incomplete' };
  } catch (e) {
    const partial = firstBytesOf(coding, b, cap);
    return { out: partial, capped: tooLarge(e), problem: partial.length ? 'incomplete' : 'damaged' };
  }
}

/** The first `cap` bytes a stream decoder produces before it stops or fails. */
function firstBytesOf(coding: string, b: Buffer, cap: number): Buffer {
  const z =
    coding === 'br'
      ? zlib.createBrotliDecompress()
      : coding === 'deflate'
        ? zlib.createInflate()
        : zlib.createGunzip();
  const parts: Buffer[] = [];
  let n = 0;
  // zlib's synchronous core through the stream's handle: feed in small pieces and stop at the cap.
  const handle = z as unknown as { _processChunk(chunk: Buffer, flush: number): Buffer | null };
  for (let off = 0; off < b.length && n < cap; off += 16384) {
    let out: Buffer | null;
    try {
      out = handle._processChunk(b.subarray(off, off + 16384), coding === 'br' ? zlib.constants.BROTLI_OPERATION_PROCESS : zlib.constants.Z_SYNC_FLUSH);
    } catch {
      break;
    }
    if (out && out.length) {
      parts.push(out);
      n += out.length;
    }
  }
  z.destroy();
  const all = Buffer.concat(parts);
  return all.length > cap ? all.subarray(0, cap) : all;
}

/** Undo the content codings of a body (Content-Encoding, listed in the order applied). */
export function decodeContent(body: Buffer, contentEncoding: string | undefined, cap = MAX_DECODED_BODY): DecodedBody {
  const codings = (contentEncoding ?? '')
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter((s) => s && s !== 'identity');
  let bytes = body;
  const undone: string[] = [];
  let capped = false;
  let problem: DecodedBody['problem'];
  for (const coding of [...codings].reverse()) {
    if (!['gzip', 'x-gzip', 'deflate', 'br'].includes(coding)) {
      problem = { coding, kind: 'unsupported' };
      break;
    }
    const r = inflate(coding, bytes, cap);
    bytes = r.out;
    capped = capped || r.capped;
    undone.push(coding);
    if (r.problem) {
      problem = { coding, kind: r.problem };
      break;
    }
  }
  return { bytes, codings, undone, problem, capped };
}

/** The charset parameter of a Content-Type value ("text/html; charset=UTF-8" → "utf-8"). */
export function charsetOf(contentType: string | undefined): string | undefined {
  const m = /;\s*charset\s*=\s*"?([A-Za-z0-9._:-]{1,40})"?/i.exec(contentType ?? '');
  return m?.[1].toLowerCase();
}

/** `<meta charset=…>` or `<meta http-equiv="Content-Type" content="…; charset=…">` in the first 1024 bytes (HTML's prescan, simplified). */
export function metaCharset(b: Buffer): string | undefined {
  const head = b.toString('latin1', 0, Math.min(b.length, 1024));
  const m = /<meta[^>]{0,200}?charset\s*=\s*["']?\s*([A-Za-z0-9._:-]{1,40})/i.exec(head);
  return m?.[1].toLowerCase();
}

export interface DecodedText {
  text: string;
  /** The charset used, and where it came from. */
  charset: string;
  source: 'content-type' | 'meta' | 'bom' | 'default';
}

/** Text of a body with the charset the response or the page declares (UTF-8 when none: what browsers do for most locales). */
export function decodeText(b: Buffer, contentType: string | undefined): DecodedText {
  let charset: string | undefined;
  let source: DecodedText['source'] = 'default';
  if (b.length >= 3 && b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) {
    charset = 'utf-8';
    source = 'bom';
  } else if ((charset = charsetOf(contentType))) source = 'content-type';
  else if ((charset = metaCharset(b))) source = 'meta';
  let decoder: InstanceType<typeof TextDecoder>;
  try {
    decoder = new TextDecoder(charset ?? 'utf-8');
  } catch {
    decoder = new TextDecoder('utf-8');
    charset = undefined;
    source = 'default';
  }
  return { text: decoder.decode(b), charset: charset ?? 'utf-8', source };
}

/** What a body's first bytes say it is (magic numbers), with the detail a report can name. */
export interface Sniffed {
  type: 'jpeg' | 'png' | 'gif' | 'webp' | 'ico' | 'svg' | 'mp3' | 'ogg' | 'wav' | 'mp4' | 'html' | 'gzip' | 'unknown';
  /** The bytes that proved it, in hex ("ff d8 ff"). */
  magic?: string;
  /** JPEG: 'JFIF' (APP0) or 'Exif' (APP1); MP3: 'ID3v2.N' or 'MPEG frame'. */
  detail?: string;
}

const hex = (b: Buffer, n: number) => [...b.subarray(0, n)].map((x) => x.toString(16).padStart(2, '0')).join(' ');

export function sniff(b: Buffer): Sniffed {
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) {
    // The marker after SOI: APP0 "JFIF\0" or APP1 "Exif\0\0".
    const id = b.toString('latin1', 6, 10);
    return { type: 'jpeg', magic: hex(b, 3), detail: b[3] === 0xe0 && id === 'JFIF' ? 'JFIF' : b[3] === 0xe1 && id === 'Exif' ? 'Exif' : undefined };
  }
  if (b.length >= 8 && b.toString('latin1', 1, 4) === 'PNG' && b[0] === 0x89) return { type: 'png', magic: hex(b, 8) };
  if (b.length >= 6 && /^GIF8[79]a$/.test(b.toString('latin1', 0, 6))) return { type: 'gif', magic: hex(b, 6) };
  if (b.length >= 12 && b.toString('latin1', 0, 4) === 'RIFF' && b.toString('latin1', 8, 12) === 'WEBP') return { type: 'webp', magic: hex(b, 4) };
  if (b.length >= 12 && b.toString('latin1', 0, 4) === 'RIFF' && b.toString('latin1', 8, 12) === 'WAVE') return { type: 'wav', magic: hex(b, 4) };
  if (b.length >= 4 && b[0] === 0 && b[1] === 0 && b[2] === 1 && b[3] === 0) return { type: 'ico', magic: hex(b, 4) };
  if (b.length >= 10 && b.toString('latin1', 0, 3) === 'ID3') return { type: 'mp3', magic: hex(b, 3), detail: `ID3v2.${b[3]}` };
  // MPEG audio frame sync: 11 set bits, layer III (bits 17–18 = 01).
  if (b.length >= 4 && b[0] === 0xff && (b[1] & 0xe0) === 0xe0 && (b[1] & 0x06) === 0x02) return { type: 'mp3', magic: hex(b, 2), detail: 'MPEG frame' };
  if (b.length >= 4 && b.toString('latin1', 0, 4) === 'OggS') return { type: 'ogg', magic: hex(b, 4) };
  if (b.length >= 8 && b.toString('latin1', 4, 8) === 'ftyp') return { type: 'mp4', magic: hex(b, 8) };
  if (b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b) return { type: 'gzip', magic: hex(b, 2) };
  const start = b.toString('latin1', 0, Math.min(b.length, 512)).replace(/^\ufeff|^\xef\xbb\xbf/, '').trimStart().toLowerCase();
  if (start.startsWith('<!doctype html') || start.startsWith('<html') || start.startsWith('<head') || start.startsWith('<body')) return { type: 'html' };
  if (start.startsWith('<svg') || (start.startsWith('<?xml') && start.includes('<svg'))) return { type: 'svg' };
  return { type: 'unknown' };
}

/** The media type of a Content-Type value, lower case, without parameters. */
export function mediaType(contentType: string | undefined): string | undefined {
  const t = contentType?.split(';')[0].trim().toLowerCase();
  return t || undefined;
}
