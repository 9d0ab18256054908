/**
 * Seeded fuzz of the whole report path in one process, no kernel: mutated lab captures through the
 * analysis, the lab model, every narrative topic (with the chart specs they build), and the
 * Markdown/HTML assembly. A crash or a case over its time budget fails with the seed and case
 * number that reproduce it: `WIRENOTE_REPORT_FUZZ_CASES=… WIRENOTE_REPORT_FUZZ_FROM=<case>`.
 * Every 500th case also draws its charts to SVG.
 */
import * as fs from 'fs';
import * as path from 'path';
import { allTopics, analyzeCaptureBuffer, assembleReport, Block, buildLab, labChecks, prng, renderSvg, ReportChapter, ReportItem } from '../lib';
import { ROOT, SHARED_CAPTURES } from './support/tshark';

const SEED = 20261201;
const CASES = Number(process.env.WIRENOTE_REPORT_FUZZ_CASES ?? 10000);
const FROM = Number(process.env.WIRENOTE_REPORT_FUZZ_FROM ?? 0);
/** Milliseconds one case may take (the slowest seen on this machine is far below; see the printed figures). */
const BUDGET_MS = 10000;
const PIXEL = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';

const seeds = [
  path.join(ROOT, 'captures', 'first-visit-server-close.pcapng'),
  path.join(ROOT, 'captures', 'reload-conditional.pcapng'),
  ...['pipelined-head.pcapng', 'snaplen-96.pcap', 'node-gzip-chunked.pcapng', 'https-mistakes.pcapng', 'mid-exchange-start.pcapng', 'python-http10.pcapng'].map((f) => path.join(__dirname, 'scenarios', 'captures', f)),
  path.join(SHARED_CAPTURES, 'zeek/get.pcap'),
  path.join(SHARED_CAPTURES, 'PcapPlusPlus/one_ipv6_http_stream.pcap'),
]
  .filter((f) => fs.existsSync(f))
  .map((f) => fs.readFileSync(f));

/** Damage as files really get it, and the shapes the hostile-input issue names. */
function mutate(src: Buffer, rnd: () => number): Buffer {
  let b = Buffer.from(src);
  const ops = 1 + Math.floor(rnd() * 4);
  for (let i = 0; i < ops; i++) {
    const kind = Math.floor(rnd() * 9);
    const at = Math.floor(rnd() * Math.max(1, b.length));
    if (kind === 0) b[at] = Math.floor(rnd() * 256);
    else if (kind === 1 && at + 4 <= b.length) b.writeUInt32LE([0, 0xffffffff, 0x7fffffff, 65536, 12, 3][Math.floor(rnd() * 6)], at);
    else if (kind === 2) b = b.subarray(0, at);
    else if (kind === 3) b = Buffer.concat([b.subarray(0, at), b.subarray(Math.floor(rnd() * b.length))]); // duplicate or drop a stretch
    else if (kind === 4) b[at] ^= 1 << Math.floor(rnd() * 8);
    // Text-field poison: lone CR, TAB, NUL, bidi override, backtick, pipe, Markdown link syntax.
    else if (kind === 5) b = Buffer.concat([b.subarray(0, at), Buffer.from(['\r', '\t', '\0', '\u202e', '`', '|', '](javascript:x)', '<img src=x>'][Math.floor(rnd() * 8)]), b.subarray(at)]).subarray(0, b.length);
    else if (kind === 6 && at + 2 <= b.length) b.writeUInt16LE(Math.floor(rnd() * 65536), at);
    // Overwrite a stretch with '<' or digits (unclosed tags, absurd lengths) without changing the size.
    else if (kind === 7) b.fill(['<', '9', 'a'][Math.floor(rnd() * 3)], at, Math.min(b.length, at + 1 + Math.floor(rnd() * 64)));
    else b = Buffer.concat([b, b.subarray(Math.floor(rnd() * b.length))]); // a duplicated tail
  }
  return b;
}

function chapterOf(blocks: Block[]): ReportChapter {
  const items: ReportItem[] = blocks.map((b) =>
    b.kind === 'md'
      ? { kind: 'md', md: b.md, trust: 'generated' }
      : b.kind === 'table'
        ? { kind: 'table', id: b.id, caption: b.caption, header: b.header, rows: b.rows, omitted: 0, total: b.rows.length }
        : { kind: 'figure', id: b.id, caption: b.caption, image: { mime: 'image/png', base64: PIXEL } },
  );
  return { number: '1', title: 'fuzz', file: 'fuzz.ipynb', items };
}

test(`${CASES} seeded cases through the lab model, every topic and the report assembly`, async () => {
  expect(seeds.length).toBeGreaterThanOrEqual(8);
  const rnd = prng(SEED);
  let worst = 0;
  let damaged = 0;
  let drawn = 0;
  const started = Date.now();
  for (let i = 0; i < FROM + CASES; i++) {
    const input = mutate(seeds[i % seeds.length], rnd);
    if (i < FROM) continue;
    const t0 = Date.now();
    let blocks: Block[];
    try {
      const a = analyzeCaptureBuffer(input);
      if (a.read.error) damaged++;
      const lab = buildLab(a, `case-${i}.pcap`);
      labChecks(lab);
      blocks = allTopics(lab);
      const report = assembleReport([chapterOf(blocks)], { title: 'fuzz', identity: lab.page?.profile ?? {}, captureName: `case-${i}.pcap` });
      // Nothing from the capture may become markup: the only tags are the report's own.
      expect(report.html).not.toMatch(/<script|<img src=x|href="javascript:/i);
      if (i % 500 === 0)
        for (const b of blocks)
          if (b.kind === 'figure') {
            await renderSvg(b.spec);
            drawn++;
          }
    } catch (e) {
      throw new Error(`report fuzz case ${i} (seed ${SEED}, WIRENOTE_REPORT_FUZZ_FROM=${i} WIRENOTE_REPORT_FUZZ_CASES=1) threw: ${(e as Error).stack}`);
    }
    const ms = Date.now() - t0;
    worst = Math.max(worst, ms);
    if (ms > BUDGET_MS) throw new Error(`report fuzz case ${i} (seed ${SEED}) took ${ms} ms, over the ${BUDGET_MS} ms budget`);
  }
  expect(damaged).toBeGreaterThan(CASES / 20);
  // eslint-disable-next-line no-console
  console.log(`report fuzz: ${CASES} cases, 0 crashes, 0 over budget, ${damaged} damaged captures, max ${worst} ms per case, ${drawn} charts drawn, ${((Date.now() - started) / 1000).toFixed(1)} s`);
}, Math.max(1800000, (FROM / 20 + CASES) * 100)); // 100 ms a case on average: far above the ~5 ms seen
