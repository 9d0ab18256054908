// In-process analysis: read + decode + TCP analysis + HTTP reassembly and pairing, no printing.
//
//   node bench/analyze.js FILE [--passes N]
//
// Prints "packets streams messages" and then the seconds of each pass, timed inside the process
// (Node start-up and loading the library are not in them). Each pass starts from fresh analyzers;
// the first pays for V8 compiling the code and growing its heap, later ones show the steady state
// of a process that analyses capture after capture (a notebook, a batch).
'use strict';
const { readCaptureFile, PacketDecoder, TcpAnalyzer, HttpAnalyzer } = require('wirenote');

async function pass(file) {
  const t0 = process.hrtime.bigint();
  const tcp = new TcpAnalyzer(false, false, 10000); // forget closed connections: memory stays flat
  let messages = 0;
  const decoder = new PacketDecoder();
  const http = new HttpAnalyzer({ onMessage: () => messages++ }, { keepHistory: false, forgetClosedAfter: 10000 });
  const r = await readCaptureFile(file, (rec) => {
    const p = decoder.decode(rec);
    const t = tcp.analyze(p);
    if (t) http.frame(p, t);
  });
  if (r.error) throw r.error;
  return { counts: `${r.packets} ${tcp.streamCount} ${messages}`, seconds: Number(process.hrtime.bigint() - t0) / 1e9 };
}

(async () => {
  const file = process.argv[2];
  const at = process.argv.indexOf('--passes');
  const passes = at > 0 ? Number(process.argv[at + 1]) : 1;
  const runs = [];
  for (let i = 0; i < passes; i++) runs.push(await pass(file));
  console.log(runs[0].counts);
  console.log(runs.map((r) => r.seconds.toFixed(4)).join(' '));
})();
