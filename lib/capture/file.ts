/**
 * The I/O edge of the capture layer: read a file (plain or gzip-compressed) in chunks through a
 * `CaptureReader`. Errors do not throw: they end the read and are returned, so everything before
 * the damage is still analysed and the caller decides how loud to be.
 */
import * as fs from 'fs';
import * as zlib from 'zlib';
import { constants, Inflate } from 'pako';
import { CaptureError } from './errors';
import { CaptureFormat, CaptureInterface, CaptureReader, CaptureRecord, CaptureSection } from './reader';

export interface ReadResult {
  format: CaptureFormat | undefined;
  /** The file header was accepted (tshark prints nothing at all for a file it cannot open). */
  opened: boolean;
  gzip: boolean;
  packets: number;
  interfaces: CaptureInterface[];
  /** pcapng section headers (OS, capturing application); empty for pcap. */
  sections: CaptureSection[];
  /** Set when reading stopped early; packets before it were delivered. */
  error?: CaptureError;
  warnings: CaptureError[];
}

const CHUNK = 256 << 10;

function toCaptureError(e: unknown, offset: number): CaptureError {
  if (e instanceof CaptureError) return e;
  const err = e as NodeJS.ErrnoException;
  if (err && typeof err.code === 'string' && err.code.startsWith('Z_')) {
    return new CaptureError('gzip', offset, `the gzip stream is damaged: ${err.message}`);
  }
  return new CaptureError('io', offset, `cannot read the file: ${err?.message ?? String(e)}`);
}

/**
 * Thrown by a record callback to end the read there, as if the file had ended: the result has
 * no error and nothing after that record is read or judged (`wirenote fields -c N`).
 */
export class StopReading extends Error {
  override readonly name = 'StopReading';
}

/**
 * How a read that threw ends. An error the record callback threw is the caller's: passed on,
 * never reported as a damaged capture — except StopReading, which ends the read cleanly.
 * Anything else is a problem with the file.
 */
function thrown(r: CaptureReader, gzip: boolean, e: unknown): ReadResult {
  if (r.inRecord) {
    if (e instanceof StopReading) return result(r, gzip);
    throw e;
  }
  return result(r, gzip, toCaptureError(e, r.offset));
}

function result(r: CaptureReader, gzip: boolean, error?: CaptureError): ReadResult {
  return { format: r.format, opened: r.opened, gzip, packets: r.packets, interfaces: r.interfaces, sections: r.sections, error, warnings: r.warnings };
}

function isGzip(path: string): boolean {
  const fd = fs.openSync(path, 'r');
  try {
    const b = Buffer.alloc(2);
    return fs.readSync(fd, b, 0, 2, 0) === 2 && b[0] === 0x1f && b[1] === 0x8b;
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * The file in chunks of one buffer, refilled with synchronous reads: from the page cache that is
 * several times faster than asynchronous reads (no thread hand-off) and than fresh chunks (no
 * page faults). Each chunk is valid until the next is asked for; the reader copies what must
 * outlive it.
 */
function* plainChunks(path: string): Generator<Buffer> {
  const fd = fs.openSync(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(CHUNK);
    for (;;) {
      const n = fs.readSync(fd, buf, 0, CHUNK, null);
      if (n === 0) return;
      yield n === CHUNK ? buf : buf.subarray(0, n);
    }
  } finally {
    fs.closeSync(fd);
  }
}

/** Stream a capture file; memory stays bounded whatever the file size. */
export async function readCaptureFile(path: string, onRecord: (r: CaptureRecord) => void): Promise<ReadResult> {
  const reader = new CaptureReader(onRecord);
  let gzip = false;
  try {
    gzip = isGzip(path);
    if (gzip) {
      const stream = fs.createReadStream(path, { highWaterMark: CHUNK }).pipe(zlib.createGunzip({ chunkSize: CHUNK }));
      for await (const chunk of stream) reader.push(chunk as Buffer);
    } else {
      // The event loop gets a turn every 64 MiB.
      let n = 0;
      for (const chunk of plainChunks(path)) {
        reader.push(chunk);
        if (++n % 256 === 0) await new Promise((resolve) => setImmediate(resolve));
      }
    }
    reader.end();
    return result(reader, gzip);
  } catch (e) {
    return thrown(reader, gzip, e);
  }
}

/**
 * Inflate a gzip file chunk by chunk, synchronously, handing each piece of output to `push` —
 * memory stays at a chunk or two whatever the file inflates to (zlib has no synchronous
 * streaming interface; pako's inflater is one). A stream that ends early or is damaged throws a
 * `gzip` CaptureError after everything before the damage was pushed, as the streaming path does.
 */
function gunzipChunksSync(path: string, reader: CaptureReader): void {
  const inflater = new Inflate({ chunkSize: CHUNK });
  let failure: string | undefined;
  let ended = false;
  inflater.onData = (chunk: Uint8Array) => reader.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
  inflater.onEnd = (status: number) => {
    ended = true;
    if (status !== 0) failure = inflater.msg || `status ${status}`;
  };
  for (const chunk of plainChunks(path)) {
    // (pako keeps no view of the input after push returns: the reused chunk buffer is safe.)
    inflater.push(chunk, false);
    if (inflater.err) failure = inflater.msg || `error ${inflater.err}`;
    if (failure) break;
  }
  if (!failure && !ended) {
    // Cut off: what inflates of the last bytes still counts (Z_SYNC_FLUSH empties the window).
    inflater.push(new Uint8Array(0), constants.Z_SYNC_FLUSH);
    if (!ended) failure = 'unexpected end of file';
  }
  if (failure) throw new CaptureError('gzip', reader.offset, `the gzip stream is damaged: ${failure}`);
}

/** Synchronous variant (notebooks, tests): the same chunked reading, gzip files inflated as they are read. */
export function readCaptureFileSync(path: string, onRecord: (r: CaptureRecord) => void): ReadResult {
  const reader = new CaptureReader(onRecord);
  let gzip = false;
  try {
    gzip = isGzip(path);
    if (gzip) {
      gunzipChunksSync(path, reader);
    } else {
      for (const chunk of plainChunks(path)) reader.push(chunk);
    }
    reader.end();
    return result(reader, gzip);
  } catch (e) {
    return thrown(reader, gzip, e);
  }
}

/** Read a capture held in memory (e.g. a generated test capture). */
export function readCaptureBuffer(data: Buffer, onRecord: (r: CaptureRecord) => void): ReadResult {
  const reader = new CaptureReader(onRecord);
  try {
    const plain = data.length >= 2 && data[0] === 0x1f && data[1] === 0x8b ? zlib.gunzipSync(data) : data;
    reader.push(plain);
    reader.end();
    return result(reader, plain !== data);
  } catch (e) {
    return thrown(reader, false, e);
  }
}
