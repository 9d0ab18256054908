/**
 * Can this capture serve the lab at all? The one decision behind the report's first-page warning
 * and `wirenote report`'s exit status 3. It asks the lab model only (lib/lab: which traffic is the
 * lab, and the HTTP check); when the model changes, re-point this function and nothing else.
 */
import type { LabModel } from '../lab/model';
import { labChecks } from '../lab/checks';

/** Undefined when the capture is usable; else why not, in the words the report prints. */
export function whyUnusable(lab: LabModel): string | undefined {
  const a = lab.analysis;
  if (!a.read.opened || a.read.error?.code === 'not-a-capture') return '这个文件不是 pcap/pcapng 抓包文件（或无法打开）。请用 Wireshark、dumpcap 或 npm run capture 重新抓包。';
  if (a.read.packets === 0) return '抓包文件里没有任何数据包。';
  if (a.frames.length === 0) return '抓包中没有 TCP 数据包，看不到浏览器与 Web 服务器的交互。请检查抓包接口和捕获过滤器（例如 tcp port 8080）。';
  const http = labChecks(lab).http;
  if (http.status !== 'fail' && lab.scope.rule !== 'none') return undefined;
  if (http.why === 'tls-only') return `抓包中只有 HTTPS（TLS）流量（${http.evidence.tls} 条连接），没有明文 HTTP：请用 http:// 而不是 https:// 访问实验页面后重新抓包。`;
  return '抓包中没有 HTTP 请求或响应。请在开始抓包后再用浏览器打开实验页面。';
}
