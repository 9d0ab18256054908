/**
 * The narrative on awkward captures (fast, in-process): damaged, HTTPS only, no TCP at all.
 * Every topic must still say something true instead of failing.
 */
import * as fs from 'fs';
import * as path from 'path';
import { allTopics, analyzeCaptureBuffer, buildLab, labChecks, topicText } from '../lib';
import { SHARED_CAPTURES } from './support/tshark';

const load = (rel: string, cut = 0) => {
  const data = fs.readFileSync(path.join(SHARED_CAPTURES, rel));
  return buildLab(analyzeCaptureBuffer(cut ? data.subarray(0, cut) : data), path.basename(rel));
};
const text = (lab: ReturnType<typeof load>) => topicText(allTopics(lab));

test('a cut-off capture says where it was damaged and how many packets were analysed', () => {
  const lab = load('zeek/get.pcap', 3000);
  expect(lab.analysis.read.error?.code).toBe('truncated-record');
  expect(text(lab)).toMatch(new RegExp(`文件在第 ${lab.analysis.read.error!.offset} 字节处损坏.*最后一个数据包记录不完整.*此前完整读出的 ${lab.analysis.read.packets} 个数据包`));
});

test('an HTTPS-only capture is recognised as such and the advice points to plain HTTP', () => {
  const lab = load('PcapPlusPlus/tls.pcap');
  expect(labChecks(lab).http.status).toBe('fail');
  expect(lab.scope.rule).toBe('none');
  const t = text(lab);
  expect(t).toMatch(/只有 TLS（HTTPS）连接/);
  expect(t).toMatch(/http:\/\//);
  expect(t).not.toMatch(/使用 HTTP 而不是 HTTPS \| ✓/);
});

test('a capture without TCP still gives every topic, and no check is met', () => {
  const lab = load('PcapPlusPlus/linktype_ipv4.pcap');
  expect(lab.connections).toHaveLength(0);
  const t = text(lab);
  expect(t).toMatch(/没有可分析的 HTTP 流量/);
  expect(Object.values(labChecks(lab)).every((c) => c.status !== 'pass')).toBe(true);
});
