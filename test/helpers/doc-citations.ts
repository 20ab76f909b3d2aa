/**
 * Finds the citations of the project's own docs in a text and checks each against the docs
 * folder: the cited file exists and the cited section is a numbered heading in it.
 *
 * A citation is `docs/<name>.md §N.N` (the path may be back-quoted, and a line break with a
 * comment marker may sit between path and section). More sections may follow it, joined by
 * `,` `;` `–` `-` `and` `or` `/` `+` (`docs/dhan-protocol.md §2.5, §2.12`). Sections of
 * other documents (`RFC 9110 §8.6`, `Fetch standard §3.2.2`, `issue 14 §2`, `PR #912 §1`)
 * are not ours and are skipped.
 * Anything else that looks like a citation is a problem. That covers a section sign with no
 * path in front of it, a path to a missing file, a section the file has no heading for, and
 * the old out-of-repo forms (`dhan-protocol.md` without `docs/`, `contract` followed by a
 * section sign). Inside docs/ a bare section sign means a section of the same page.
 */
import { readFileSync, readdirSync, statSync, existsSync } from 'node:fs';
import { join, relative, basename } from 'node:path';

const SECT = '\u00a7';

/** One citation problem, located in its file. */
export interface CitationProblem {
  readonly file: string;
  readonly line: number;
  readonly message: string;
}

/** A resolved citation: which doc page and which section. */
export interface Citation {
  readonly file: string;
  readonly line: number;
  readonly doc: string;
  readonly section: string;
}

const PATH_BEFORE = /docs\/([\w-]+\.md)`?(?: |\n\s*(?:\*|\/\/|#)\s*)?$/;
const FOREIGN_BEFORE = /(?:RFC ?\d{3,5},?|Fetch standard|issue #?\d+|PR #?\d+|item \d+) ?(?:\n\s*(?:\*|\/\/|#)\s*)?$/i;
const CONNECTOR = /^\s*(?:,|;|–|-|and|or|\/|\+|&)\s*$/;
const SECTION = new RegExp(`${SECT} ?(\\d+(?:\\.\\d+)*)`, 'g');
const OLD_PATH = /(?<![\w/.-])(?:dhan-protocol|engineering|market-structure|peers|contract)\.md/g;
const OLD_CONTRACT = new RegExp(`(?<![\\w/.\`-])[Cc]ontract ${SECT}`, 'g');
const DOC_PATH = /(?<![\w/.-])docs\/([\w-]+\.md)/g;

const headingCache = new Map<string, Set<string> | null>();

/** The numbered headings (`## 2.`, `### 2.5 `) of a docs page; null when the page is missing. */
export function docSections(docsDir: string, page: string): Set<string> | null {
  const key = join(docsDir, page);
  let s = headingCache.get(key);
  if (s !== undefined) return s;
  if (!existsSync(key)) {
    headingCache.set(key, null);
    return null;
  }
  s = new Set<string>();
  for (const ln of readFileSync(key, 'utf8').split('\n')) {
    const m = /^#{1,6} (\d+(?:\.\d+)*)\.?\s/.exec(ln);
    if (m?.[1] !== undefined) s.add(m[1]);
  }
  headingCache.set(key, s);
  return s;
}

const lineOf = (text: string, index: number): number => {
  let n = 1;
  for (let i = text.indexOf('\n'); i !== -1 && i < index; i = text.indexOf('\n', i + 1)) n++;
  return n;
};

/**
 * Checks one file's text. `file` is its path relative to the repository root; a file under
 * `docs/` may cite its own sections without a path.
 */
export function checkCitations(file: string, text: string, docsDir: string): { citations: Citation[]; problems: CitationProblem[] } {
  const citations: Citation[] = [];
  const problems: CitationProblem[] = [];
  const ownPage = file.startsWith('docs/') ? basename(file) : null;

  for (const m of text.matchAll(OLD_PATH)) {
    problems.push({ file, line: lineOf(text, m.index), message: `"${m[0]}" is not a repository path; write docs/${m[0]}` });
  }
  for (const m of text.matchAll(OLD_CONTRACT)) {
    problems.push({ file, line: lineOf(text, m.index), message: `"${m[0]}…" does not name a file; write docs/contract.md ${SECT}…` });
  }
  for (const m of text.matchAll(DOC_PATH)) {
    if (m[1] !== undefined && docSections(docsDir, m[1]) === null) {
      problems.push({ file, line: lineOf(text, m.index), message: `docs/${m[1]} does not exist` });
    }
  }

  // The page (or 'foreign') the previous section sign belonged to, and where it ended.
  let chainPage: string | null = null;
  let chainEnd = -1;
  for (const m of text.matchAll(SECTION)) {
    const start = m.index;
    const section = m[1] ?? '';
    const before = text.slice(Math.max(0, start - 60), start);
    const explicit = PATH_BEFORE.exec(before);
    let page: string | null;
    if (explicit?.[1] !== undefined) page = explicit[1];
    else if (FOREIGN_BEFORE.test(before)) page = 'foreign';
    else if (chainPage !== null && CONNECTOR.test(text.slice(chainEnd, start))) page = chainPage;
    else page = ownPage;
    chainPage = page;
    chainEnd = start + m[0].length;
    if (page === 'foreign') continue;
    const line = lineOf(text, start);
    if (page === null) {
      problems.push({ file, line, message: `${SECT}${section} names no document; write docs/<page>.md ${SECT}${section}` });
      continue;
    }
    const sections = docSections(docsDir, page);
    if (sections === null) continue; // reported above as a missing file
    if (!sections.has(section)) problems.push({ file, line, message: `docs/${page} has no heading ${SECT}${section}` });
    else citations.push({ file, line, doc: page, section });
  }
  return { citations, problems };
}

/** Every file under `dir` (recursively) whose name ends in one of `exts`, skipping `skip` folders. */
export function listFiles(root: string, dir: string, exts: readonly string[], skip: readonly string[]): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      const rel = relative(root, p);
      if (skip.includes(rel) || name === 'node_modules') continue;
      if (statSync(p).isDirectory()) walk(p);
      else if (exts.some((e) => name.endsWith(e))) out.push(rel);
    }
  };
  walk(join(root, dir));
  return out;
}
