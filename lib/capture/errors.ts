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
  | 'unsupported-version' // pcap major version < 2, pcapng SHB version other than 1.0 / 1.2
  | 'unknown-link-type' // a pcap link type Wireshark does not read (it refuses the file), or reserved bits set
  | 'bad-block' // pcapng block too small for its type, too large, trailer mismatch, bad name record or secrets length
  | 'bad-option' // pcapng option runs past its block or breaks its type's rules (as Wireshark checks them)
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
