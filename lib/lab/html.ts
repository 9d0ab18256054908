/**
 * What the student's page says and what it asks the browser to load, read from the decoded HTML
 * with a real HTML parser — parse5's WHATWG tokenizer (the tokenization browsers use: comments,
 * raw-text elements, character references, attribute quoting) — not with regular expressions.
 * Not the tree builder: its scope checks walk the open-element stack, so a hostile page of
 * 200 000 nested <div> takes minutes; tokens are linear and are all we need (text in document
 * order, and the attributes of img / audio / source / link). The one piece of tree construction
 * the tokenizer needs — which start tags switch it to raw text (HTML §13.2.6.2) — is done here.
 */
import { Tokenizer, TokenizerMode } from 'parse5';

/** A resource the page refers to. */
export interface PageRef {
  /** What refers to it: <img>, <audio src>, <audio><source>, <video>, <link rel=icon>, … */
  element: 'img' | 'audio' | 'source' | 'video' | 'icon' | 'stylesheet' | 'script' | 'other';
  /** The attribute value as written (e.g. "标志.jpg"). */
  raw: string;
  /** The type attribute, when given (e.g. "audio/mp3" on <source>). */
  type?: string;
  /** For <source>: the element it belongs to. */
  parent?: 'audio' | 'video' | 'picture';
  /** rel tokens of a <link>. */
  rel?: string[];
}

export interface PageProfile {
  /** 专业 / 学号 / 姓名 as the page states them (label: value). */
  major?: string;
  studentId?: string;
  name?: string;
  title?: string;
  /** The page's visible text, one line per block (for "the page by its text"). */
  lines: string[];
  refs: PageRef[];
}

const BLOCK = new Set([
  'address', 'article', 'aside', 'blockquote', 'br', 'dd', 'div', 'dl', 'dt', 'fieldset', 'figcaption', 'figure', 'footer', 'form', 'h1', 'h2', 'h3', 'h4',
  'h5', 'h6', 'header', 'hr', 'li', 'main', 'nav', 'ol', 'p', 'pre', 'section', 'table', 'tr', 'td', 'th', 'ul', 'title', 'caption', 'label', 'option', 'body', 'html', 'head',
]);
/** Elements whose text the browser does not show. */
const HIDDEN = new Set(['script', 'style', 'template', 'noscript', 'head', 'title', 'textarea']);
/** Void elements have no end tag (HTML §13.1.2): they never open a hidden or media context. */
const VOID = new Set(['area', 'base', 'br', 'col', 'embed', 'hr', 'img', 'input', 'link', 'meta', 'source', 'track', 'wbr']);

/** Labels a page uses for the three facts, Chinese first (the lab's wording), then common English ones. */
const LABELS: Array<[keyof Pick<PageProfile, 'major' | 'studentId' | 'name'>, string]> = [
  ['major', '专业'],
  ['studentId', '学号'],
  ['name', '姓名'],
  ['major', 'Major'],
  ['studentId', 'Student ID'],
  ['studentId', 'Student No.'],
  ['name', 'Name'],
];
const LABEL_RE = new RegExp(`(${LABELS.map(([, l]) => l.replace(/[.]/g, '\\.')).join('|')})\\s*[：:]`, 'g');

type Attrs = Array<{ name: string; value: string }>;

/** Start tags after which the tokenizer reads raw text until the matching end tag (HTML §13.2.6.2). */
const RAW_TEXT: Record<string, (typeof TokenizerMode)[keyof typeof TokenizerMode]> = {
  title: TokenizerMode.RCDATA,
  textarea: TokenizerMode.RCDATA,
  style: TokenizerMode.RAWTEXT,
  xmp: TokenizerMode.RAWTEXT,
  iframe: TokenizerMode.RAWTEXT,
  noembed: TokenizerMode.RAWTEXT,
  noframes: TokenizerMode.RAWTEXT,
  script: TokenizerMode.SCRIPT_DATA,
  plaintext: TokenizerMode.PLAINTEXT,
};
const attr = (attrs: Attrs, name: string) => attrs.find((a) => a.name === name)?.value;

/** Parse the page in one linear pass. */
export function readPage(html: string): PageProfile {
  const lines: string[] = [];
  const refs: PageRef[] = [];
  let line = '';
  let title: string | undefined;
  let inTitle = false;
  let titleText = '';
  // Open elements that hide text or give <source> its meaning, counted (not a stack of every element).
  let hidden = 0;
  const media: string[] = [];
  const flush = () => {
    const t = line.replace(/\s+/g, ' ').trim();
    if (t) lines.push(t);
    line = '';
  };
  const onStart = (tag: string, attrs: Attrs, selfClosing: boolean) => {
    if (BLOCK.has(tag)) flush();
    noteRef(tag, attrs, media[media.length - 1], refs);
    if (VOID.has(tag) || selfClosing) return;
    if (HIDDEN.has(tag)) hidden++;
    if (tag === 'title' && title === undefined) inTitle = true;
    if (tag === 'audio' || tag === 'video' || tag === 'picture') media.push(tag);
    const mode = RAW_TEXT[tag];
    if (mode !== undefined) tokenizer.state = mode;
  };
  const onEnd = (tag: string) => {
    if (BLOCK.has(tag)) flush();
    if (HIDDEN.has(tag) && hidden > 0) hidden--;
    if (tag === 'title' && inTitle) {
      inTitle = false;
      title = titleText.replace(/\s+/g, ' ').trim() || undefined;
    }
    if ((tag === 'audio' || tag === 'video' || tag === 'picture') && media[media.length - 1] === tag) media.pop();
  };
  const onText = (t: { chars: string }) => {
    if (inTitle) titleText += t.chars;
    else if (hidden === 0) line += t.chars;
  };
  const ignore = () => undefined;
  const tokenizer: Tokenizer = new Tokenizer(
    { sourceCodeLocationInfo: false },
    {
      onStartTag: (t: { tagName: string; attrs: Attrs; selfClosing: boolean }) => onStart(t.tagName, t.attrs, t.selfClosing),
      onEndTag: (t: { tagName: string }) => onEnd(t.tagName),
      onCharacter: onText,
      onWhitespaceCharacter: onText,
      onNullCharacter: ignore,
      onComment: ignore,
      onDoctype: ignore,
      onEof: ignore,
    } as unknown as ConstructorParameters<typeof Tokenizer>[1],
  );
  tokenizer.write(html, true);
  flush();
  return { ...identityFromLines(lines), title, lines, refs };
}

function noteRef(tag: string, attrs: Attrs, parent: string | undefined, refs: PageRef[]): void {
  const type = attr(attrs, 'type');
  if (tag === 'img') {
    const src = attr(attrs, 'src');
    if (src !== undefined) refs.push({ element: 'img', raw: src });
  } else if (tag === 'audio' || tag === 'video') {
    const src = attr(attrs, 'src');
    if (src !== undefined) refs.push({ element: tag, raw: src });
  } else if (tag === 'source' && (parent === 'audio' || parent === 'video' || parent === 'picture')) {
    const src = attr(attrs, 'src') ?? attr(attrs, 'srcset')?.split(/\s+/)[0];
    if (src !== undefined) refs.push({ element: 'source', raw: src, type, parent });
  } else if (tag === 'link') {
    const rel = (attr(attrs, 'rel') ?? '').toLowerCase().split(/\s+/).filter(Boolean);
    const href = attr(attrs, 'href');
    if (href === undefined) return;
    // rel="icon", "shortcut icon", "apple-touch-icon" all name an icon (HTML §4.6.7.8).
    if (rel.includes('icon') || rel.includes('apple-touch-icon')) refs.push({ element: 'icon', raw: href, type, rel });
    else if (rel.includes('stylesheet')) refs.push({ element: 'stylesheet', raw: href, rel });
  } else if (tag === 'script') {
    const src = attr(attrs, 'src');
    if (src !== undefined) refs.push({ element: 'script', raw: src });
  }
}

/**
 * 专业 / 学号 / 姓名 from the page's lines: "专业：物联网工程", several on one line
 * ("学号：1 姓名：张三"), or a label alone with its value on the next line (a table row).
 */
export function identityFromLines(lines: string[]): Pick<PageProfile, 'major' | 'studentId' | 'name'> {
  const found: Pick<PageProfile, 'major' | 'studentId' | 'name'> = {};
  const keyOf = (label: string) => LABELS.find(([, l]) => l === label)![0];
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i];
    // A label alone ("专业", "学号：") with its value on the next line (a table row, a <dt>/<dd>).
    const alone = /^(专业|学号|姓名)\s*[：:]?$/.exec(l);
    if (alone) {
      const key = keyOf(alone[1]);
      if (i + 1 < lines.length && !found[key] && !LABEL_RE.test(lines[i + 1])) found[key] = lines[i + 1].slice(0, 80).trim();
      LABEL_RE.lastIndex = 0;
      continue;
    }
    const marks = [...l.matchAll(LABEL_RE)];
    marks.forEach((m, k) => {
      const key = keyOf(m[1]);
      if (found[key]) return;
      const from = m.index! + m[0].length;
      const to = k + 1 < marks.length ? marks[k + 1].index! : l.length;
      const v = l.slice(from, to).trim().slice(0, 80);
      if (v) found[key] = v;
    });
  }
  return found;
}
