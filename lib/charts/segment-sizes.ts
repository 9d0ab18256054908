/**
 * TCP payload sizes, one histogram per direction (requests from the client are a few hundred
 * bytes, the server's segments are up to an MSS or, with segmentation offload on loopback, larger),
 * on one shared x-axis with the MSS each sender was told drawn as a line.
 */
import { COLORS, VegaLiteSpec, bytesText, chartSpec } from './common';
import { niceStep } from './time-axis';

export interface SegmentSizesDirection {
  /** e.g. "客户端 → 服务器". */
  label: string;
  segments: Array<{ frame: number; len: number }>;
  /** The MSS the receiver of this direction announced in its SYN (what limits this sender). */
  mss?: number;
}

export interface SegmentSizesInput {
  directions: SegmentSizesDirection[];
  id?: string;
  caption?: string;
}

const WIDTH = 540;

export function segmentSizesChart(input: SegmentSizesInput): VegaLiteSpec {
  const dirs = input.directions.filter((d) => d.segments.length);
  const maxLen = Math.max(1, ...dirs.flatMap((d) => d.segments.map((s) => s.len)), ...dirs.map((d) => d.mss ?? 0));
  const step = niceStep(maxLen / 24);
  const top = Math.ceil((maxLen + 1) / step) * step;
  const panels = dirs.map((d, i) => {
    const bins = new Map<number, number[]>();
    for (const s of d.segments) {
      const b = Math.floor(s.len / step) * step;
      bins.set(b, [...(bins.get(b) ?? []), s.frame]);
    }
    const values = [...bins].sort((a, b) => a[0] - b[0]).map(([b, frames]) => ({
      x: b,
      x2: b + step,
      n: frames.length,
      range: `${bytesText(b)}–${bytesText(b + step - 1)} 字节`,
      frames: frames.length > 8 ? `${frames.slice(0, 8).join(', ')} …（共 ${frames.length} 帧）` : frames.join(', '),
    }));
    const maxN = Math.max(...values.map((v) => v.n));
    const layers: object[] = [
      {
        data: { values },
        mark: { type: 'bar', color: COLORS.series[i % COLORS.series.length], binSpacing: 1 },
        encoding: {
          x: { field: 'x', type: 'quantitative', bin: { binned: true, step }, scale: { domain: [0, top], nice: false }, axis: { title: 'TCP 段长度 (字节)', format: ',d', tickCount: 6, labelOverlap: true, labelFlush: false } },
          x2: { field: 'x2' },
          y: { field: 'n', type: 'quantitative', title: '段数', scale: { domain: [0, Math.ceil(maxN * 1.25)], nice: false }, axis: { tickMinStep: 1, format: 'd', tickCount: Math.min(4, maxN + 1) } },
          tooltip: [{ field: 'range', title: '段长' }, { field: 'n', title: '段数' }, { field: 'frames', title: '帧' }],
        },
      },
    ];
    if (d.mss)
      layers.push(
        { data: { values: [{ x: d.mss }] }, mark: { type: 'rule', color: '#d62728', strokeDash: [4, 3], strokeWidth: 1.5 }, encoding: { x: { field: 'x', type: 'quantitative' } } },
        {
          data: { values: [{ x: d.mss, text: `MSS ${bytesText(d.mss)}` }] },
          // In the free top fifth of the panel, right of the line when there is room, else left of it.
          mark: { type: 'text', color: '#d62728', fontSize: 10, align: d.mss > top * 0.8 ? 'right' : 'left', dx: d.mss > top * 0.8 ? -4 : 4, baseline: 'top', y: 2 },
          encoding: { x: { field: 'x', type: 'quantitative' }, text: { field: 'text' } },
        },
      );
    return { title: { text: `${d.label}（${d.segments.length} 个携带数据的段）`, fontSize: 12, anchor: 'start' }, width: WIDTH, height: 80, layer: layers };
  });
  const mssText = dirs.filter((d) => d.mss).map((d) => `${d.label} 的 MSS 为 ${d.mss}`).join('，');
  return chartSpec(
    input.id ?? 'segsize',
    'TCP 数据段长度分布（按方向）',
    input.caption ?? `TCP 数据段长度分布，按方向分开画（只计携带数据的段，每格 ${bytesText(step)} 字节）；红色虚线是接收方在握手时通告的 MSS${mssText ? `（${mssText}）` : '（握手中没有 MSS 选项）'}`,
    { vconcat: panels, spacing: 14, resolve: { scale: { x: 'shared' } } },
  );
}
