// Offline checks of docker/Dockerfile and .dockerignore: dockerfile-utils' validator (the one
// behind the VS Code Docker extension) for syntax and instruction errors, then the image policy
// of issue 5 read straight from the file. No Docker daemon needed; docker.test.ts builds and
// runs the image.

import { readFileSync } from 'node:fs';
import { validate } from 'dockerfile-utils';
import { describe, expect, it } from 'vitest';

const root = new URL('../../', import.meta.url);
const dockerfile = readFileSync(new URL('docker/Dockerfile', root), 'utf8');
const dockerignore = readFileSync(new URL('.dockerignore', root), 'utf8');

// validate() returns LSP diagnostics: severity 1 = error, 2 = warning, 3 = information, 4 = hint.
const ERROR = 1;

/** Instructions with their continuation lines joined, comments dropped. */
const instructions = dockerfile
  .replace(/\\\n/g, ' ')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l && !l.startsWith('#'));
const stages = dockerfile.split(/^FROM /m).slice(1);
const runtime = stages.at(-1)!;

describe('docker/Dockerfile', () => {
  it('has no error diagnostics from dockerfile-utils (warnings are printed)', () => {
    const diagnostics = validate(dockerfile);
    for (const d of diagnostics) {
      const where = `docker/Dockerfile:${d.range.start.line + 1}:${d.range.start.character + 1}`;
      const text = `${where} ${d.severity === ERROR ? 'error' : 'warning'}: ${d.message}`;
      if (d.severity === ERROR) console.error(text);
      else console.warn(text);
    }
    expect(diagnostics.filter((d) => d.severity === ERROR).map((d) => `line ${d.range.start.line + 1}: ${d.message}`)).toEqual([]);
  });

  it('builds from node:20-bookworm-slim (build stage, shared hardened base) and ships only dist, bin, package.json, node_modules and the entry point', () => {
    expect(instructions.filter((l) => l.startsWith('FROM '))).toEqual([
      'FROM ${NODE_IMAGE} AS build',
      'FROM ${NODE_IMAGE} AS runtime-base',
      'FROM runtime-base AS sealkv-sentinel',
      // The server image is the last stage: a plain `docker build` (no --target) gives it.
      'FROM runtime-base AS sealkv',
    ]);
    expect(instructions).toContain('ARG NODE_IMAGE=node:20-bookworm-slim');
    const copies = runtime.split('\n').filter((l) => l.startsWith('COPY '));
    expect(copies.map((l) => l.split(/\s+/).at(-2))).toEqual([
      '/src/package.json',
      '/src/node_modules',
      '/src/dist',
      'bin',
      'docker/entrypoint.mjs',
    ]);
    expect(stages[0]).toMatch(/npm ci\b/);
    expect(stages[0]).toMatch(/npm run build\b/);
    expect(stages[0]).toMatch(/npm prune --omit=dev\b/);
  });

  it('passes the registry CA only as a BuildKit secret mount, never COPY/ADD or an ARG/ENV', () => {
    expect(dockerfile).toMatch(/RUN --mount=type=secret,id=npm_ca,target=\S+[\s\S]*npm ci/);
    expect(instructions.filter((l) => /^(COPY|ADD)\b/.test(l) && /\.(pem|crt)\b|ca-cert|npmrc/i.test(l))).toEqual([]);
    expect(instructions.filter((l) => /^(ARG|ENV)\b/.test(l) && /CA_CERT|cafile|_auth|token/i.test(l))).toEqual([]);
    // The npm cache is a cache mount, so it is not in the build stage's layers either.
    expect(dockerfile).toMatch(/--mount=type=cache,target=\/root\/\.npm/);
  });

  it('runs as uid/gid 10001 with NODE_ENV=production, exposes 6379, has a node-only HEALTHCHECK and an exec-form entry point', () => {
    expect(runtime).toMatch(/^USER 10001:10001$/m);
    expect(runtime).toMatch(/^ENV NODE_ENV=production$/m);
    expect(runtime).toMatch(/^EXPOSE 6379$/m);
    const health = runtime.replace(/\\\n/g, ' ').split('\n').find((l) => l.startsWith('HEALTHCHECK '));
    expect(health).toMatch(/CMD \["node", "-e", /);
    expect(health).toContain('PING');
    expect(health).toContain('NOAUTH');
    expect(runtime).toMatch(/^ENTRYPOINT \["node", "--max-semi-space-size=4", "\/app\/docker\/entrypoint\.mjs"\]$/m);
  });

  it('the sealkv-sentinel target: Debian\'s redis-sentinel on the same base, uid 10001, config on the /sentinel tmpfs, no node', () => {
    const sentinel = stages.find((s) => s.startsWith('runtime-base AS sealkv-sentinel'))!;
    expect(sentinel).toMatch(/apt-get install -y --no-install-recommends redis-sentinel\b/);
    // No package lists left behind, and no service started by the maintainer scripts at build time.
    expect(sentinel).toMatch(/rm -rf [^\n]*\/usr\/sbin\/policy-rc\.d \/var\/lib\/apt\/lists\/\*/);
    expect(sentinel).toMatch(/\/usr\/local\/bin\/node\b/);
    expect(sentinel).toMatch(/install -d -o 10001 -g 10001 -m 1770 \/sentinel/);
    expect(sentinel).toMatch(/^USER 10001:10001$/m);
    expect(sentinel).toMatch(/^EXPOSE 26379$/m);
    expect(sentinel).toMatch(/^ENTRYPOINT \["\/usr\/local\/bin\/sealkv-sentinel-entrypoint"\]$/m);
    expect(sentinel.split('\n').filter((l) => l.startsWith('COPY '))).toEqual(['COPY docker/sentinel-entrypoint.sh /usr/local/bin/sealkv-sentinel-entrypoint']);
  });

  it('the healthcheck one-liner is valid JavaScript', () => {
    const health = instructions.find((l) => l.startsWith('HEALTHCHECK ') && l.includes('"node"'))!;
    const argv = JSON.parse(health.slice(health.indexOf('CMD ') + 4)) as string[];
    expect(() => new Function('require', 'process', argv[2]!)).not.toThrow();
  });
});

describe('.dockerignore', () => {
  it('is an allow-list that keeps node_modules, dist, .git, tests, bench results and key files out of the context', () => {
    const lines = dockerignore.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
    expect(lines[0]).toBe('*');
    const allowed = lines.filter((l) => l.startsWith('!'));
    expect(allowed.sort()).toEqual(
      ['!bin/', '!docker/entrypoint.mjs', '!docker/sentinel-entrypoint.sh', '!package-lock.json', '!package.json', '!scripts/bundle.mjs', '!src/', '!tsconfig.build.json', '!tsconfig.json'].sort(),
    );
    for (const pattern of ['**/node_modules', '**/*.key', '**/*.pem']) expect(lines).toContain(pattern);
  });
});
