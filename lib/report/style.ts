/**
 * The report's style sheet: screen and A4 print (the PDF is Chromium printing the HTML). Kept apart
 * from the assembler so layout for print can change without touching how the report is built.
 */
import { CJK_FONT } from '../charts';

export const CSS = `
:root { --fg:#1b1b1b; --muted:#666; --rule:#ddd; }
* { box-sizing: border-box; }
body { font-family: ${CJK_FONT}; color: var(--fg); line-height: 1.7; max-width: 60rem; margin: 0 auto; padding: 2rem 1.5rem; font-size: 15px; }
h1,h2,h3 { line-height: 1.3; }
h2 { border-bottom: 1px solid var(--rule); padding-bottom: .3rem; margin-top: 2.5rem; }
code { font-family: "Noto Sans Mono CJK SC", "DejaVu Sans Mono", monospace; background: #f4f4f4; padding: 0 .25em; border-radius: 3px; font-size: .9em; word-break: break-all; }
table { border-collapse: collapse; margin: .5rem 0 1rem; font-size: .9em; width: 100%; }
th, td { border: 1px solid var(--rule); padding: .25rem .5rem; text-align: left; vertical-align: top; }
th { background: #f6f8fa; }
figure { margin: 1.2rem 0; page-break-inside: avoid; }
figure svg { max-width: 100%; height: auto; display: block; }
figcaption { color: var(--muted); font-size: .9em; margin-top: .3rem; }
figure.table figcaption { margin: 0 0 .3rem; }
.title-page { text-align: center; padding: 4rem 0 3rem; border-bottom: 2px solid var(--fg); margin-bottom: 2rem; }
.title-page h1 { font-size: 1.8rem; }
.title-page .who { font-size: 1.15rem; margin-top: 1.5rem; }
.title-page .src { color: var(--muted); margin-top: 1rem; font-size: .9em; }
nav.toc ol { padding-left: 1.5rem; }
details.code pre { background: #f6f8fa; padding: .8rem; overflow-x: auto; font-size: .85em; }
@page { size: A4; margin: 18mm 16mm; }
@media print {
  body { max-width: none; padding: 0; font-size: 11pt; }
  .title-page { page-break-after: always; border: none; }
  nav.toc { page-break-after: always; }
  h2 { page-break-before: always; }
  a { color: inherit; text-decoration: none; }
}
`;
