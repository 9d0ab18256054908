/**
 * Jupyter notebooks (nbformat 4) as files: read, write exactly as Jupyter writes them (nbformat's
 * JSON writer: keys sorted, indent 1, text split into lines the way Python's `splitlines(True)`
 * splits them), cell tags, and papermill-style parameters for TypeScript cells.
 */
import * as fs from 'fs';

export type MimeBundle = Record<string, unknown>;

export type Output =
  | { output_type: 'stream'; name: 'stdout' | 'stderr'; text: string }
  | { output_type: 'display_data'; data: MimeBundle; metadata: Record<string, unknown> }
  | { output_type: 'execute_result'; data: MimeBundle; metadata: Record<string, unknown>; execution_count: number | null }
  | { output_type: 'error'; ename: string; evalue: string; traceback: string[] };

export interface CodeCell {
  cell_type: 'code';
  id?: string;
  metadata: CellMetadata;
  source: string;
  outputs: Output[];
  execution_count: number | null;
}
export interface TextCell {
  cell_type: 'markdown' | 'raw';
  id?: string;
  metadata: CellMetadata;
  source: string;
  attachments?: Record<string, MimeBundle>;
}
export type Cell = CodeCell | TextCell;
export interface CellMetadata {
  tags?: string[];
  [k: string]: unknown;
}
export interface Notebook {
  cells: Cell[];
  metadata: Record<string, unknown>;
  nbformat: number;
  nbformat_minor: number;
}

export class NotebookFormatError extends Error {
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(`${file}: ${message}`);
  }
}

const join = (v: unknown): string => (Array.isArray(v) ? v.join('') : typeof v === 'string' ? v : '');
const isJsonMime = (k: string) => k === 'application/json' || (k.startsWith('application/') && k.endsWith('+json'));

/** Parse a notebook; multi-line fields are joined into strings (nbformat's `rejoin_lines`). */
export function parseNotebook(text: string, file = 'notebook'): Notebook {
  let nb: Notebook;
  try {
    nb = JSON.parse(text);
  } catch (e) {
    throw new NotebookFormatError(file, `not a notebook (JSON: ${(e as Error).message})`);
  }
  if (!nb || typeof nb !== 'object' || !Array.isArray(nb.cells)) throw new NotebookFormatError(file, 'not a notebook (no cells)');
  if (nb.nbformat !== 4) throw new NotebookFormatError(file, `nbformat ${nb.nbformat} is not supported (4 is)`);
  for (const c of nb.cells) {
    c.source = join(c.source);
    c.metadata ??= {};
    if (c.cell_type === 'code') {
      c.outputs ??= [];
      for (const o of c.outputs) {
        if (o.output_type === 'stream') o.text = join(o.text);
        else if (o.output_type === 'display_data' || o.output_type === 'execute_result') for (const k of Object.keys(o.data)) if (!isJsonMime(k) && Array.isArray(o.data[k])) o.data[k] = join(o.data[k]);
      }
    }
  }
  return nb;
}

export function readNotebook(file: string): Notebook {
  return parseNotebook(fs.readFileSync(file, 'utf8'), file);
}

/** Python's str.splitlines(keepends=True): the line boundaries nbformat splits on. */
export function splitLines(s: string): string[] {
  const out: string[] = [];
  const re = /\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]/g;
  let last = 0;
  for (let m = re.exec(s); m; m = re.exec(s)) {
    out.push(s.slice(last, m.index + m[0].length));
    last = m.index + m[0].length;
  }
  if (last < s.length) out.push(s.slice(last));
  return out;
}

/** A number as Python's json module writes it (repr: exponent form below 1e-4 or from 1e16 on, two-digit exponent). */
function pyNumber(n: number): string {
  if (!Number.isFinite(n)) throw new Error(`not a JSON number: ${n}`);
  if (Number.isInteger(n) && Math.abs(n) < 1e21) return Object.is(n, -0) ? '-0.0' : String(n);
  const [mant, e] = n.toExponential().split('e');
  const exp = Number(e);
  const sign = mant.startsWith('-') ? '-' : '';
  const digits = mant.replace(/^-/, '').replace('.', '');
  if (exp < -4 || exp >= 16) return `${mant}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  if (exp < 0) return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`;
  const int = digits.slice(0, exp + 1).padEnd(exp + 1, '0');
  const frac = digits.slice(exp + 1);
  return `${sign}${int}.${frac || '0'}`;
}

/** JSON as nbformat writes it: `json.dumps(nb, sort_keys=True, indent=1, separators=(",", ": "), ensure_ascii=False)`. */
function pyJson(v: unknown, depth = 0): string {
  const pad = '\n' + ' '.repeat(depth + 1);
  const end = '\n' + ' '.repeat(depth);
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number') return pyNumber(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (Array.isArray(v)) return v.length ? `[${v.map((x) => pad + pyJson(x, depth + 1)).join(',')}${end}]` : '[]';
  // Python sorts keys by code point; JS's default sort compares UTF-16 units, the same within the BMP.
  const keys = Object.keys(v as object).filter((k) => (v as Record<string, unknown>)[k] !== undefined).sort();
  return keys.length ? `{${keys.map((k) => `${pad}${JSON.stringify(k)}: ${pyJson((v as Record<string, unknown>)[k], depth + 1)}`).join(',')}${end}}` : '{}';
}

/** The notebook as Jupyter writes it (so a file saved by Jupyter and one written here compare equal). */
export function serializeNotebook(nb: Notebook): string {
  const copy = JSON.parse(JSON.stringify(nb)) as Notebook;
  for (const c of copy.cells) {
    (c as { source: unknown }).source = splitLines(c.source);
    if (c.cell_type !== 'code') continue;
    for (const o of c.outputs) {
      if (o.output_type === 'stream') (o as { text: unknown }).text = splitLines(o.text);
      else if (o.output_type === 'display_data' || o.output_type === 'execute_result')
        for (const [k, v] of Object.entries(o.data)) if (typeof v === 'string' && (k.startsWith('text/') || k === 'application/javascript' || k === 'image/svg+xml')) o.data[k] = splitLines(v);
    }
  }
  return pyJson(copy) + '\n';
}

export function writeNotebook(file: string, nb: Notebook): void {
  fs.writeFileSync(file, serializeNotebook(nb));
}

export const tags = (c: Cell): string[] => (Array.isArray(c.metadata?.tags) ? (c.metadata.tags as string[]) : []);
export const hasTag = (c: Cell, t: string): boolean => tags(c).includes(t);

// ---- parameters (papermill style) ---------------------------------------------------------------

export interface ParameterDecl {
  name: string;
  keyword: 'const' | 'let' | 'var';
  /** The declared type as written, if any. */
  type?: string;
  /** What the value is converted to. */
  kind: 'string' | 'number' | 'boolean' | 'json';
}

export class ParameterError extends Error {}

/** The top-level variables a `parameters` cell declares (parsed with TypeScript). */
export function parameterDecls(source: string): ParameterDecl[] {
  // tslab ships its TypeScript; it is there whenever notebooks are.
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const ts: typeof import('typescript') = require('@tslab/typescript-for-tslab');
  const sf = ts.createSourceFile('parameters.ts', source, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  const out: ParameterDecl[] = [];
  for (const st of sf.statements) {
    if (!ts.isVariableStatement(st)) continue;
    const flags = st.declarationList.flags;
    const keyword = flags & ts.NodeFlags.Const ? 'const' : flags & ts.NodeFlags.Let ? 'let' : 'var';
    for (const d of st.declarationList.declarations) {
      if (!ts.isIdentifier(d.name)) continue;
      const type = d.type?.getText(sf);
      const init = d.initializer;
      let kind: ParameterDecl['kind'] = 'json';
      if (type === 'string' || (!type && init && (ts.isStringLiteral(init) || ts.isNoSubstitutionTemplateLiteral(init)))) kind = 'string';
      else if (type === 'number' || (!type && init && ts.isNumericLiteral(init))) kind = 'number';
      else if (type === 'boolean' || (!type && init && (init.kind === ts.SyntaxKind.TrueKeyword || init.kind === ts.SyntaxKind.FalseKeyword))) kind = 'boolean';
      else if (!type && init && ts.isBinaryExpression(init) && init.operatorToken.kind === ts.SyntaxKind.QuestionQuestionToken && ts.isStringLiteral(init.right)) kind = 'string';
      out.push({ name: d.name.text, keyword, type, kind });
    }
  }
  return out;
}

/** The TypeScript literal for a `-p NAME=VALUE` value, by the parameter's declared kind. */
export function parameterLiteral(decl: ParameterDecl, value: string): string {
  switch (decl.kind) {
    case 'string':
      return JSON.stringify(value);
    case 'number': {
      const n = Number(value);
      if (value.trim() === '' || !Number.isFinite(n)) throw new ParameterError(`parameter ${decl.name} is a number: "${value}" is not`);
      return String(n);
    }
    case 'boolean':
      if (!/^(true|false)$/i.test(value)) throw new ParameterError(`parameter ${decl.name} is true or false: "${value}" is neither`);
      return value.toLowerCase();
    default:
      try {
        return JSON.stringify(JSON.parse(value));
      } catch {
        throw new ParameterError(`parameter ${decl.name} takes a JSON value: "${value}" is not JSON`);
      }
  }
}

/** First line of an injected-parameters cell. */
export const INJECTED_HEADER = '// 注入的参数（wirenote report -p）';

/**
 * An injected-parameters cell whose every line is `const NAME: string|number|boolean = LITERAL;`
 * type-checks the same whatever the literals are (they were checked against the declared kind):
 * its compiled form can be reused with other values. Returns the cell with each literal replaced by
 * a placeholder, and the literals; undefined for any other cell.
 */
export function parameterTemplate(src: string): { template: string; literals: string[] } | undefined {
  const lines = src.split('\n');
  if (lines[0] !== INJECTED_HEADER) return undefined;
  const literals: string[] = [];
  const out = [lines[0]];
  for (const l of lines.slice(1)) {
    const m = /^((?:const|let|var) [A-Za-z_$][\w$]*: (?:string|number|boolean) = )("(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?(?:e[+-]?\d+)?|true|false);$/.exec(l);
    if (!m) return undefined;
    out.push(`${m[1]}__wirenote_parameter_${literals.length}__;`);
    literals.push(m[2]);
  }
  return { template: out.join('\n'), literals };
}

/**
 * papermill's injection: a cell tagged `injected-parameters` right after the cell tagged
 * `parameters` (or first, if there is none) redeclares the given names; tslab lets a later cell
 * redeclare a top-level name. An earlier injected cell is replaced. Only names the notebook's
 * parameters cell declares are injected; the others are returned as `unknown`.
 */
export function injectParameters(nb: Notebook, values: Record<string, string>): { nb: Notebook; injected: string[]; unknown: string[] } {
  const cells = nb.cells.filter((c) => !hasTag(c, 'injected-parameters'));
  const at = cells.findIndex((c) => c.cell_type === 'code' && hasTag(c, 'parameters'));
  const decls = at >= 0 ? parameterDecls(cells[at].source) : [];
  const injected: string[] = [];
  const unknown: string[] = [];
  const lines: string[] = [];
  for (const [name, value] of Object.entries(values)) {
    const d = decls.find((x) => x.name === name);
    if (!d) {
      unknown.push(name);
      continue;
    }
    lines.push(`${d.keyword} ${name}${d.type ? `: ${d.type}` : ''} = ${parameterLiteral(d, value)};`);
    injected.push(name);
  }
  if (!lines.length) return { nb: { ...nb, cells }, injected, unknown };
  const cell: CodeCell = { cell_type: 'code', id: 'injected-parameters', metadata: { tags: ['injected-parameters'] }, source: `${INJECTED_HEADER}\n${lines.join('\n')}`, outputs: [], execution_count: null };
  const out = [...cells];
  out.splice(at + 1, 0, cell);
  return { nb: { ...nb, cells: out }, injected, unknown };
}
