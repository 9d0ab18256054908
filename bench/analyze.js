// In-process analysis: read + decode + TCP analysis + HTTP reassembly and pairing, no printing.
'use strict';
const { readCaptureFile, decodeRecord, TcpAnalyzer, HttpAnalyzer } = require('wirenote');
(async () => {
  const tcp = new TcpAnalyzer(false, false, 10000); // forget closed connections: memory stays flat
  let messages = 0;
  const http = new HttpAnalyzer({ onMessage: () => messages++ });
  const r = await readCaptureFile(process.argv[2], (rec) => {
    const p = decodeRecord(rec);
    const t = tcp.analyze(p);
    if (t) http.frame(p, t);
  });
  if (r.error) throw r.error;
  console.log(`${r.packets} ${tcp.streamCount} ${messages}`);
})();
