#!/usr/bin/env node
/**
 * Write notebooks/*.ipynb (one per report chapter, kernel tslab). The notebooks are committed;
 * run this after changing the chapter list. Cells stay short: the logic lives in lib/.
 */
'use strict';
const fs = require('fs');
const path = require('path');

const CHAPTERS = [
  ['01-overview', 'chapterOverview(lab, source)', '实验环境与抓包概览'],
  ['02-formats', 'chapterFormats(lab)', 'TCP 首部与 HTTP 报文格式'],
  ['03-handshake', 'chapterHandshake(lab)', '三次握手'],
  ['04-http', 'chapterHttp(lab)', 'HTTP 请求与响应'],
  ['05-segments', 'chapterSegments(lab)', '分段、重组与 ACK'],
  ['06-parallel', 'chapterParallel(lab)', '并行连接与 keep-alive'],
  ['07-teardown', 'chapterTeardown(lab)', '四次挥手'],
  ['08-questions', 'chapterQuestions(lab)', '问题与思考'],
];

const lines = (s) => s.split('\n').map((l, i, a) => (i < a.length - 1 ? l + '\n' : l));
const code = (id, src, tags) => ({ cell_type: 'code', id, metadata: tags ? { tags } : {}, execution_count: null, outputs: [], source: lines(src) });
const mdCell = (id, src) => ({ cell_type: 'markdown', id, metadata: {}, source: lines(src) });

for (const [name, call, title] of CHAPTERS) {
  const fn = call.slice(0, call.indexOf('('));
  const nb = {
    cells: [
      mdCell('title', `# 第 ${Number(name.slice(0, 2))} 章 ${title}\n\n换一个抓包：修改下面的 \`CAPTURE\`，或在启动 JupyterLab 前设置环境变量 \`WIRENOTE_CAPTURE\`。留空时使用 \`captures/\` 里的参考抓包。`),
      code('parameters', "// 参数：要分析的抓包文件（留空 = 参考抓包）\nconst CAPTURE: string = process.env.WIRENOTE_CAPTURE ?? '';", ['parameters']),
      code('load', `import * as tslab from 'tslab';\nimport { loadLab, show, ${fn} } from 'wirenote';\n\nconst { lab, source } = await loadLab(CAPTURE);\nconsole.log(\`\${source}: \${lab.analysis.totalFrames} 帧, \${lab.connections.length} 条 TCP 连接, \${lab.exchanges.length} 次 HTTP 交互\`);`),
      code('chapter', `show(tslab.display, ${call});`),
    ],
    metadata: {
      kernelspec: { display_name: 'TypeScript', language: 'typescript', name: 'tslab' },
      language_info: { name: 'typescript', file_extension: '.ts', mimetype: 'text/typescript' },
    },
    nbformat: 4,
    nbformat_minor: 5,
  };
  fs.writeFileSync(path.join(__dirname, '..', 'notebooks', `${name}.ipynb`), JSON.stringify(nb, null, 1) + '\n');
  console.log(`notebooks/${name}.ipynb`);
}
