/**
 * The classic-pcap link types Wireshark 4.0 reads. Its pcap reader maps the header's LINKTYPE_
 * value to an encapsulation and refuses the whole file when there is none ("network type N
 * unknown or unsupported"); pcapng is not refused (each packet shows as unknown). Found by offering
 * every value 0–65535 to Wireshark 4.0's reader (capinfos); kept as ranges.
 */
const KNOWN: readonly (readonly [number, number])[] = [
  [0, 3], [6, 14], [16, 16], [18, 19], [32, 32], [50, 51], [99, 101], [104, 109], [112, 114], [117, 119],
  [121, 123], [127, 131], [133, 133], [135, 144], [147, 163], [165, 165], [167, 167], [169, 173], [177, 181],
  [183, 184], [186, 190], [192, 192], [195, 197], [199, 204], [209, 215], [220, 220], [224, 231], [235, 237],
  [239, 243], [245, 245], [248, 256], [258, 260], [264, 264], [266, 266], [268, 268], [270, 276], [279, 280],
  [283, 283], [287, 288], [290, 290], [292, 295],
];

/** Whether Wireshark 4.0 opens a classic pcap file with this LINKTYPE_ value (its low 16 bits). */
export function wiresharkReadsPcapLinkType(linkType: number): boolean {
  return KNOWN.some(([lo, hi]) => linkType >= lo && linkType <= hi);
}
