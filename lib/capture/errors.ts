/**
 * Typed errors for damaged or unsupported capture files.
 *
 * Every error names the byte offset in the (decompressed) file where the problem was found, so a
 * student can see "the file is fine up to byte N" and a teacher can tell a cut-off upload from a
 * file that was never a capture.
 */
export type CaptureErrorCode =
  | 'not-a-capture' // magic number is neither pcap nor pcapng
  | 'empty' // zero-byte file
  | 'truncated-header' // file ends inside the file header / section header
  | 'truncated-record' // file ends inside a packet record or block
  | 'bad-caplen' // captured length absurd, larger than the snapshot length, or larger than the block
  | 'unsupported-version' // pcap major version != 2, pcapng SHB version != 1.0
  | 'unknown-link-type' // a link-layer type this library cannot decode (packets still counted)
  | 'bad-block' // pcapng block length not a multiple of 4, too small, or trailer mismatch
  | 'bad-option' // pcapng option runs past the end of its block
  | 'bad-interface' // pcapng packet names an interface that was never described
  | 'gzip' // the gzip stream is corrupt
  | 'io'; // the operating system could not read the file

export class CaptureError extends Error {
  override readonly name = 'CaptureError';
  constructor(
    readonly code: CaptureErrorCode,
    /** Byte offset in the (decompressed) capture where the problem starts. */
    readonly offset: number,
    readonly detail: string,
  ) {
    super(`${detail} (at byte offset ${offset})`);
  }
}
