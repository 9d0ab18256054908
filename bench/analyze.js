// In-process analysis: read + decode + TCP analysis + HTTP reassembly and pairing, no printing.
'use strict';
const { readCaptureFile, PacketDecoder, TcpAnalyzer, HttpAnalyzer } = require('wirenote');
(async () => {
  const tcp = new TcpAnalyzer(false, false, 10000); // forget closed connections: memory stays flat
  let messages = 0;
  const decoder = new PacketDecoder();
  const http = new HttpAnalyzer({ onMessage: () => messages++ }, { keepHistory: false, forgetClosedAfter: 10000 });
  const r = await readCaptureFile(process.argv[2], (rec) => {
    const p = decoder.decode(rec);
    const t = tcp.analyze(p);
    if (t) http.frame(p, t);
  });
  if (r.error) throw r.error;
  console.log(`${r.packets} ${tcp.streamCount} ${messages}`);
})();
