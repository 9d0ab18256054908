/**
 * FlowReassembler on its own, with a stand-in dissector: what it hands over must be exactly the
 * stream's bytes, however the stream was cut into segments, re-sent or overlapped.
 */
import { FlowReassembler, ONE_MORE_SEGMENT, prng, SubdissectorResult } from '../lib';

const noEvents = { onReassembled: () => undefined, onRetransmittedSegment: () => undefined };

/**
 * Binary data without a line end makes an HTTP-like dissector ask for "one more segment" again
 * and again, so the PDU is assembled anew after every segment (the case that used to copy
 * quadratically). Each hand-over must equal the stream's first `length` bytes.
 */
test.each([
  ['frames tracked', noEvents],
  ['nobody listening', undefined],
])('a PDU grown one segment at a time is handed over as exactly the stream bytes (%s)', (_what, events) => {
  const rnd = prng(11);
  let calls = 0;
  let overlapped = 0;
  for (let round = 0; round < 200; round++) {
    const stream = Buffer.alloc(2000 + Math.floor(rnd() * 30000));
    for (let i = 0; i < stream.length; i++) stream[i] = Math.floor(rnd() * 256);
    const want = 500 + Math.floor(rnd() * (stream.length - 500)); // the dissector is satisfied from here on
    const isn = Math.floor(rnd() * 2 ** 32); // sequence numbers may wrap
    let satisfied = 0;
    const dissect = (data: Buffer, length: number): SubdissectorResult => {
      calls++;
      expect(length).toBe(data.length);
      expect(data.equals(stream.subarray(0, data.length))).toBe(true);
      if (data.length < want) return { desegmentOffset: 0, desegmentLen: ONE_MORE_SEGMENT };
      satisfied = data.length;
      return { desegmentOffset: 0, desegmentLen: 0 };
    };
    const flow = new FlowReassembler(dissect, events);
    let frame = 0;
    let pos = 0;
    while (pos < stream.length && !satisfied) {
      const len = Math.min(stream.length - pos, 1 + Math.floor(rnd() * 1500));
      // Sometimes a segment re-sends the tail of the previous one along with new bytes. (Not from
      // the PDU's very start: a segment starting there is a retransmission of its first segment.)
      const back = pos > 1 && rnd() < 0.2 ? Math.min(pos - 1, 1 + Math.floor(rnd() * 400)) : 0;
      if (back) overlapped++;
      flow.segment(++frame, (isn + pos - back) >>> 0, stream, pos - back, len + back, false);
      // …and sometimes it is re-sent whole (a retransmission of the same bytes).
      if (rnd() < 0.1) flow.segment(++frame, (isn + pos - back) >>> 0, stream, pos - back, len + back, false);
      pos += len;
    }
    // The PDU grew until the dissector was satisfied, and no further.
    expect(satisfied).toBeGreaterThanOrEqual(want);
    expect(satisfied).toBe(pos);
  }
  expect(calls).toBeGreaterThan(2000);
  expect(overlapped).toBeGreaterThan(300);
});

/**
 * A count-only PDU keeps no bytes: when its last byte arrives the dissector gets back what it
 * asked to keep (`pending`), an empty buffer and the PDU's full length, in the completing frame.
 */
test('a count-only PDU hands back its pending value with the full length', () => {
  const rnd = prng(12);
  for (let round = 0; round < 300; round++) {
    const head = 20 + Math.floor(rnd() * 200);
    const body = Math.floor(rnd() * 50000) + 1;
    const stream = Buffer.alloc(head + body, 7);
    const token = { round };
    const calls: Array<{ frame: number; bytes: number; length: number; pending?: object }> = [];
    const flow = new FlowReassembler((data, length, frame, _eos, pending) => {
      calls.push({ frame, bytes: data.length, length, pending });
      // First call: the head is all there; count the rest of the body.
      return calls.length === 1 ? { desegmentOffset: 0, desegmentLen: head + body - data.length, pending: token } : { desegmentOffset: 0, desegmentLen: 0 };
    }, noEvents);
    const isn = Math.floor(rnd() * 2 ** 32);
    let frame = 0;
    let pos = 0;
    let first = true;
    while (pos < stream.length) {
      const len = Math.min(stream.length - pos, first ? Math.max(head, Math.floor(rnd() * 1448)) : 1 + Math.floor(rnd() * 1448));
      first = false;
      flow.segment(++frame, (isn + pos) >>> 0, stream, pos, len, false);
      pos += len;
    }
    if (frame === 1) {
      expect(calls).toHaveLength(1); // the whole message came in one segment: nothing to reassemble
      continue;
    }
    expect(calls).toHaveLength(2);
    expect(calls[1]).toEqual({ frame, bytes: 0, length: head + body - 0, pending: token });
  }
});
