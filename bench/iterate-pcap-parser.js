// Baseline: bare iteration over the file's records with pcap-parser (no decoding).
'use strict';
const pcapp = require('pcap-parser');
let n = 0;
const parser = pcapp.parse(process.argv[2]);
parser.on('packet', () => n++);
parser.on('end', () => console.log(n));
parser.on('error', (e) => {
  console.error(String(e));
  process.exit(1);
});
