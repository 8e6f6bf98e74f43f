// Every relative link in README.md and docs/*.md must lead somewhere: the file (or directory)
// must exist and, for a link into a markdown file, its #anchor must be one of that file's
// headings as GitHub names them. The README was split into docs/ and links now cross files, so a
// renamed heading or a moved section breaks them silently otherwise.

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The markdown files whose links are checked: the README and every page under docs/. */
function checkedFiles(): string[] {
  const docs = existsSync(join(ROOT, 'docs'))
    ? readdirSync(join(ROOT, 'docs')).filter((n) => n.endsWith('.md')).map((n) => join(ROOT, 'docs', n))
    : [];
  return [join(ROOT, 'README.md'), ...docs];
}

/** The text with fenced code blocks blanked (line count kept), where nothing is a link or heading. */
function withoutFences(text: string): string {
  let fence: string | null = null;
  return text
    .split('\n')
    .map((line) => {
      const open = /^ {0,3}(`{3,}|~{3,})/.exec(line);
      if (fence === null) {
        if (open) fence = open[1]![0]!.repeat(open[1]!.length);
        return open ? '' : line;
      }
      if (open && open[1]!.startsWith(fence) && line.trim().replace(/[`~]/g, '') === '') fence = null;
      return '';
    })
    .join('\n');
}

/** Inline code spans replaced by their content in brackets-free form, so `[x](y)` inside code is no link. */
function withoutCodeSpans(text: string): string {
  return text.replace(/(`+)([\s\S]*?[^`])\1(?!`)/g, (_m, _ticks, body: string) => body.replace(/[[\]()]/g, ' '));
}

/** GitHub's anchor for a heading: inline markup dropped, lower case, punctuation removed, spaces to '-'. */
function githubSlug(heading: string): string {
  return heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/`/g, '')
    .replace(/<[^>]+>/g, '')
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\p{M} _-]/gu, '')
    .replace(/ /g, '-');
}

/** Every anchor a markdown file offers: its headings (repeats numbered -1, -2 ... as GitHub does) and HTML ids. */
function anchorsOf(text: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const line of withoutFences(text).split('\n')) {
    const heading = /^ {0,3}#{1,6}[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$/.exec(line);
    if (heading) {
      const slug = githubSlug(heading[1]!);
      const n = seen.get(slug) ?? 0;
      seen.set(slug, n + 1);
      anchors.add(n === 0 ? slug : `${slug}-${n}`);
    }
    for (const m of line.matchAll(/<a\s+(?:name|id)="([^"]+)"/g)) anchors.add(m[1]!);
  }
  return anchors;
}

const anchorCache = new Map<string, Set<string>>();
function anchorsIn(path: string): Set<string> {
  let anchors = anchorCache.get(path);
  if (!anchors) anchorCache.set(path, (anchors = anchorsOf(readFileSync(path, 'utf8'))));
  return anchors;
}

interface Link {
  line: number;
  target: string;
}

/** Inline links and images of a markdown text (link text may span lines and hold `code`). */
function linksOf(text: string): Link[] {
  const body = withoutCodeSpans(withoutFences(text));
  const links: Link[] = [];
  for (const m of body.matchAll(/!?\[(?:[^[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
    links.push({ line: body.slice(0, m.index).split('\n').length, target: m[1]! });
  }
  return links;
}

/** What is wrong with one link of `file`, or null when it resolves. */
function brokenReason(file: string, target: string): string | null {
  if (/^[a-z][a-z0-9+.-]*:/i.test(target)) return null; // http:, https:, mailto: are not ours to check
  const hash = target.indexOf('#');
  const path = decodeURIComponent(hash < 0 ? target : target.slice(0, hash));
  const anchor = hash < 0 ? null : decodeURIComponent(target.slice(hash + 1));
  const resolved = path === '' ? file : join(dirname(file), path);
  if (!existsSync(resolved)) return `no such file ${relative(ROOT, resolved)}`;
  if (anchor === null || anchor === '') return null;
  if (!resolved.endsWith('.md')) return `anchor #${anchor} into a file that is not markdown`;
  return anchorsIn(resolved).has(anchor) ? null : `no heading #${anchor} in ${relative(ROOT, resolved)}`;
}

describe('documentation links', () => {
  it('names anchors as GitHub does', () => {
    expect(githubSlug('Compatibility with Redis 7')).toBe('compatibility-with-redis-7');
    expect(githubSlug('Pub/Sub')).toBe('pubsub');
    expect(githubSlug('Under systemd, Docker, npm')).toBe('under-systemd-docker-npm');
    expect(githubSlug('Proxy mode (twemproxy)')).toBe('proxy-mode-twemproxy');
    expect(githubSlug('Throughput: 3 nodes vs 1')).toBe('throughput-3-nodes-vs-1');
    expect(githubSlug('Environment (read by `docker/entrypoint.mjs`)')).toBe('environment-read-by-dockerentrypointmjs');
    expect([...anchorsOf('## Sets\n```\n## Not a heading\n```\n### Sets\n')]).toEqual(['sets', 'sets-1']);
  });

  it('finds links that span lines, and none inside code', () => {
    const links = linksOf('see [Large\nvalues](#large-values) and `[x](nowhere.md)`\n```\n[y](gone.md)\n```\n![plot](a.svg)');
    expect(links.map((l) => l.target)).toEqual(['#large-values', 'a.svg']);
  });

  it('README.md keeps the markers `npm run bench -- --curve` rewrites between (bench/run.ts)', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const start = readme.indexOf('<!-- bench:start -->');
    const end = readme.indexOf('<!-- bench:end -->');
    expect(start).toBeGreaterThan(0);
    expect(end).toBeGreaterThan(start);
    expect(readme.indexOf('<!-- bench:start -->', start + 1)).toBe(-1);
  });

  it('every relative link and anchor in README.md and docs/*.md resolves', () => {
    const broken: string[] = [];
    let checked = 0;
    for (const file of checkedFiles()) {
      for (const link of linksOf(readFileSync(file, 'utf8'))) {
        checked++;
        const reason = brokenReason(file, link.target);
        if (reason) broken.push(`${relative(ROOT, file)}:${link.line}: (${link.target}) ${reason}`);
      }
    }
    expect(checked).toBeGreaterThan(50);
    expect(broken).toEqual([]);
  });
});
