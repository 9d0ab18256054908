#!/usr/bin/env node
/**
 * Regenerate site/ from site/profile.json: index.html, the JPEG logo, the icon and the spoken
 * MP3 self-introduction. Uses Debian tools only: cjpeg (libjpeg-turbo-progs), espeak-ng, lame.
 *
 *   node scripts/make-site.js            # page + assets
 *   node scripts/make-site.js --page     # page only (after editing profile.json)
 */
'use strict';
const fs = require('fs');
const path = require('path');
const { execFileSync } = require('child_process');

const SITE = path.join(__dirname, '..', 'site');
const profile = JSON.parse(fs.readFileSync(path.join(SITE, 'profile.json'), 'utf8'));

function escapeHtml(s) {
  return String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
}

function page() {
  const e = (k) => escapeHtml(profile[k]);
  return `<!DOCTYPE html>
<html lang="zh-CN">
<head>
    <meta charset="UTF-8">
    <meta name="viewport" content="width=device-width, initial-scale=1.0">
    <title>${e('title')}</title>
    <link rel="icon" href="icon.jpg" type="image/jpeg">
</head>
<body>
    <h1>${e('title')}</h1>
    <p>专业：${e('major')}</p>
    <p>学号：${e('studentId')}</p>
    <p>姓名：${e('name')}</p>
    <img src="logo.jpg" alt="我的LOGO" width="300">
    <audio controls src="intro.mp3">
        你的浏览器不支持音频标签。
    </audio>
</body>
</html>
`;
}

/** 5×7 bitmap digits, for drawing the student number into the logo. */
const DIGITS = {
  0: ['01110', '10001', '10011', '10101', '11001', '10001', '01110'],
  1: ['00100', '01100', '00100', '00100', '00100', '00100', '01110'],
  2: ['01110', '10001', '00001', '00010', '00100', '01000', '11111'],
  3: ['11110', '00001', '00001', '01110', '00001', '00001', '11110'],
  4: ['00010', '00110', '01010', '10010', '11111', '00010', '00010'],
  5: ['11111', '10000', '11110', '00001', '00001', '10001', '01110'],
  6: ['00110', '01000', '10000', '11110', '10001', '10001', '01110'],
  7: ['11111', '00001', '00010', '00100', '01000', '01000', '01000'],
  8: ['01110', '10001', '10001', '01110', '10001', '10001', '01110'],
  9: ['01110', '10001', '10001', '01111', '00001', '00010', '01100'],
};

/** A deterministic colourful logo (PPM): gradient, rings, fine texture, the student number. */
function logoPpm(w, h) {
  const px = Buffer.alloc(w * h * 3);
  let seed = 2111194;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) & 0xff;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const d = Math.hypot(x - w / 2, y - h / 2);
      const ring = Math.sin(d / 9) * 40;
      const i = (y * w + x) * 3;
      px[i] = Math.max(0, Math.min(255, 40 + (x * 160) / w + ring + (rnd() & 31)));
      px[i + 1] = Math.max(0, Math.min(255, 90 + (y * 120) / h - ring + (rnd() & 31)));
      px[i + 2] = Math.max(0, Math.min(255, 200 - (x * 100) / w + (rnd() & 31)));
    }
  }
  const digits = String(profile.studentId).replace(/\D/g, '');
  const scale = Math.floor(Math.min(w / (digits.length * 6 + 2), h / 12));
  const x0 = Math.floor((w - digits.length * 6 * scale) / 2);
  const y0 = Math.floor((h - 7 * scale) / 2);
  [...digits].forEach((ch, k) => {
    DIGITS[ch].forEach((row, r) =>
      [...row].forEach((bit, c) => {
        if (bit !== '1') return;
        for (let dy = 0; dy < scale; dy++)
          for (let dx = 0; dx < scale; dx++) {
            const i = ((y0 + r * scale + dy) * w + x0 + (k * 6 + c) * scale + dx) * 3;
            px[i] = px[i + 1] = px[i + 2] = 250;
          }
      }),
    );
  });
  return Buffer.concat([Buffer.from(`P6\n${w} ${h}\n255\n`), px]);
}

function jpeg(ppm, out, quality) {
  const jpg = execFileSync('cjpeg', ['-quality', String(quality), '-optimize'], { input: ppm, maxBuffer: 1 << 26 });
  fs.writeFileSync(out, jpg);
  return jpg.length;
}

function main() {
  fs.writeFileSync(path.join(SITE, 'index.html'), page());
  console.log('site/index.html');
  if (process.argv.includes('--page')) return;
  // The logo must exceed one loopback segment (64 KiB) so its response spans several segments.
  console.log('site/logo.jpg', jpeg(logoPpm(640, 400), path.join(SITE, 'logo.jpg'), 90), 'bytes');
  console.log('site/icon.jpg', jpeg(logoPpm(32, 32), path.join(SITE, 'icon.jpg'), 85), 'bytes');
  const wav = path.join(require('os').tmpdir(), 'wirenote-intro.wav');
  execFileSync('espeak-ng', ['-v', 'cmn', '-s', '150', '-w', wav, profile.intro]);
  execFileSync('lame', ['--quiet', '-m', 'm', '-b', '32', '--resample', '22.05', wav, path.join(SITE, 'intro.mp3')]);
  fs.unlinkSync(wav);
  console.log('site/intro.mp3', fs.statSync(path.join(SITE, 'intro.mp3')).size, 'bytes');
}

main();
