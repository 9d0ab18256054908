/**
 * ACK cadence: how many of the sender's data segments each ACK acknowledged (1 = every segment,
 * 2 = delayed ACK's "every second full segment", more = stretch ACKs or ACKs after loss). Counts up
 * to 8 get a bar each; larger ones are grouped in power-of-two buckets so a lossy capture with
 * dozens of distinct counts still gives a few readable bars.
 */
import { COLORS, VegaLiteSpec, chartSpec } from './common';

export interface AckCadenceInput {
  /** Each ACK that advanced the acknowledgement: its frame and the number of data segments it covered. */
  acks: Array<{ frame: number; segments: number }>;
  id?: string;
  caption?: string;
}

/** "1", "2", … "8", then "9–16", "17–32", … */
export function cadenceBucket(k: number): { label: string; order: number } {
  if (k <= 8) return { label: String(k), order: k };
  const hi = 2 ** Math.ceil(Math.log2(k));
  return { label: `${hi / 2 + 1}–${hi}`, order: hi };
}

export function ackCadenceChart(input: AckCadenceInput): VegaLiteSpec {
  const buckets = new Map<string, { order: number; frames: number[] }>();
  for (const a of input.acks) {
    const b = cadenceBucket(a.segments);
    buckets.set(b.label, { order: b.order, frames: [...(buckets.get(b.label)?.frames ?? []), a.frame] });
  }
  // Every count from 1 to the largest seen gets its place, so gaps show as gaps.
  const max = Math.max(1, ...input.acks.map((a) => a.segments));
  for (let k = 1; k <= Math.min(8, max); k++) if (!buckets.has(String(k))) buckets.set(String(k), { order: k, frames: [] });
  const values = [...buckets]
    .sort((a, b) => a[1].order - b[1].order)
    .map(([label, v]) => ({ k: label, n: v.frames.length, text: v.frames.length ? String(v.frames.length) : '', frames: v.frames.length > 10 ? `${v.frames.slice(0, 10).join(', ')} …` : v.frames.join(', ') }));
  const total = input.acks.length;
  const maxN = Math.max(1, ...values.map((v) => v.n));
  const order = values.map((v) => v.k);
  const x = { field: 'k', type: 'ordinal', sort: order, title: '一个 ACK 确认的数据段数', axis: { labelAngle: 0 } };
  return chartSpec(
    input.id ?? 'ackcadence',
    'ACK 节奏：每个 ACK 确认了几个数据段',
    input.caption ?? `ACK 节奏（实测，共 ${total} 个推进了确认号的 ACK）：横轴是一个 ACK 确认的数据段数${max > 8 ? '，大于 8 的按 9–16、17–32… 分组' : ''}，柱上的数字是 ACK 个数`,
    {
      width: Math.min(480, Math.max(200, values.length * 48)),
      height: 150,
      data: { values },
      encoding: { x },
      layer: [
        {
          mark: { type: 'bar', color: COLORS.data, width: { band: 0.7 } },
          encoding: { y: { field: 'n', type: 'quantitative', title: 'ACK 个数', scale: { domain: [0, Math.ceil(maxN * 1.15) + 1], nice: false }, axis: { tickMinStep: 1, format: 'd' } }, tooltip: [{ field: 'k', title: '确认的段数' }, { field: 'n', title: 'ACK 个数' }, { field: 'frames', title: '帧' }] },
        },
        { mark: { type: 'text', dy: -6, fontSize: 10 }, encoding: { y: { field: 'n', type: 'quantitative' }, text: { field: 'text' } } },
      ],
    },
  );
}
