/**
 * The narrative on awkward captures (fast, in-process): damaged, HTTPS only, no TCP at all.
 * Every chapter must still say something true instead of failing.
 */
import * as fs from 'fs';
import * as path from 'path';
import { allChapters, analyzeCaptureBuffer, buildLab, labChecks } from '../lib';
import { SHARED_CAPTURES } from './support/tshark';

const load = (rel: string, cut = 0) => {
  const data = fs.readFileSync(path.join(SHARED_CAPTURES, rel));
  return buildLab(analyzeCaptureBuffer(cut ? data.subarray(0, cut) : data));
};
const text = (lab: ReturnType<typeof load>) =>
  allChapters(lab, 'x.pcap')
    .flatMap((c) => c.blocks)
    .map((b) => (b.kind === 'md' ? b.md : b.kind === 'table' ? b.rows.flat().join(' ') : b.caption))
    .join('\n');

test('a cut-off capture says where it was damaged and how many packets were analysed', () => {
  const lab = load('zeek/get.pcap', 3000);
  expect(lab.analysis.read.error?.code).toBe('truncated-record');
  expect(text(lab)).toMatch(new RegExp(`第 ${lab.analysis.read.error!.offset} 字节处结束：最后一个数据包记录不完整.*此前完整读出的 ${lab.analysis.read.packets} 个数据包`));
});

test('an HTTPS-only capture is recognised as such and the advice points to plain HTTP', () => {
  const lab = load('PcapPlusPlus/tls.pcap');
  expect(labChecks(lab).httpNotHttps).toBe(false);
  const t = text(lab);
  expect(t).toMatch(/只有 TLS（HTTPS）流量/);
  expect(t).toMatch(/http:\/\/127\.0\.0\.1:8080\//);
});

test('a capture without TCP still gives every chapter', () => {
  const lab = load('PcapPlusPlus/linktype_ipv4.pcap');
  const chapters = allChapters(lab, 'dns.pcap');
  expect(chapters.map((c) => c.number)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  expect(text(lab)).toMatch(/没有捕获到三次握手/);
  expect(Object.values(labChecks(lab)).every((v) => v === false)).toBe(true);
});
