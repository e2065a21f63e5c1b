/*
 * Finds the Debian mirror this host already uses, by reading its apt sources at run
 * time. Images are built from that mirror so that a machine without a container
 * registry, but with a working apt, can still build them; no mirror host is written
 * into chalkfs itself.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { OrchestratorError } from './orchestrator-error.js';

export interface AptSource {
  types: string[];
  uris: string[];
  suites: string[];
  components: string[];
  /** File the entry came from, for error messages. */
  file: string;
}

/** Parses deb822 `.sources` text: stanzas separated by blank lines, `Key: value` fields. */
export function parseDeb822Sources(text: string, file: string): AptSource[] {
  const sources: AptSource[] = [];
  for (const stanza of text.split(/\n\s*\n/)) {
    const fields = new Map<string, string>();
    let lastKey: string | undefined;
    for (const line of stanza.split('\n')) {
      if (line.startsWith('#') || line.trim() === '') continue;
      if (/^\s/.test(line) && lastKey) {
        // Continuation line (multi-line values such as an inline Signed-By key).
        fields.set(lastKey, `${fields.get(lastKey)} ${line.trim()}`);
        continue;
      }
      const m = /^([A-Za-z0-9-]+):\s*(.*)$/.exec(line);
      if (!m) continue;
      lastKey = m[1]!.toLowerCase();
      fields.set(lastKey, m[2]!.trim());
    }
    if (fields.get('enabled')?.toLowerCase() === 'no') continue;
    const words = (key: string): string[] => (fields.get(key) ?? '').split(/\s+/).filter(Boolean);
    if (words('uris').length === 0) continue;
    sources.push({ types: words('types'), uris: words('uris'), suites: words('suites'), components: words('components'), file });
  }
  return sources;
}

/** Parses one-line `sources.list` text: `deb [options] URI SUITE COMPONENT...`. */
export function parseOneLineSources(text: string, file: string): AptSource[] {
  const sources: AptSource[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*$/, '').replace(/\[[^\]]*\]/, ' ').trim();
    const [type, uri, suite, ...components] = line.split(/\s+/);
    if (!type || !uri || !suite || (type !== 'deb' && type !== 'deb-src')) continue;
    sources.push({ types: [type], uris: [uri], suites: [suite], components, file });
  }
  return sources;
}

export async function readAptSources(root = '/etc/apt'): Promise<AptSource[]> {
  const sources: AptSource[] = [];
  const readIfPresent = async (path: string): Promise<string | undefined> => {
    try {
      return await readFile(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  };
  const main = await readIfPresent(join(root, 'sources.list'));
  if (main !== undefined) sources.push(...parseOneLineSources(main, join(root, 'sources.list')));
  let entries: string[] = [];
  try {
    entries = (await readdir(join(root, 'sources.list.d'))).sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  for (const name of entries) {
    const path = join(root, 'sources.list.d', name);
    if (name.endsWith('.sources')) sources.push(...parseDeb822Sources((await readIfPresent(path)) ?? '', path));
    else if (name.endsWith('.list')) sources.push(...parseOneLineSources((await readIfPresent(path)) ?? '', path));
  }
  return sources;
}

/** Suites such as bookworm-security or bookworm-updates come from other archives. */
function isReleaseSuite(suite: string): boolean {
  return !suite.includes('-') && !suite.includes('/');
}

/**
 * The mirror to debootstrap `suite` from: a `deb` source with the `main` component that
 * carries a release suite (not -security/-updates), preferring one that names `suite`
 * itself. The same archive serves every release, so a bookworm host can build trixie.
 * CHALKFS_DEBIAN_MIRROR overrides the choice (for hosts whose apt points elsewhere).
 */
export async function debianMirror(suite: string, options: { env?: NodeJS.ProcessEnv; aptRoot?: string } = {}): Promise<string> {
  const override = (options.env ?? process.env).CHALKFS_DEBIAN_MIRROR;
  if (override) return override;
  const sources = (await readAptSources(options.aptRoot)).filter(
    (s) => s.types.includes('deb') && s.components.includes('main') && s.uris.some((u) => /^https?:\/\//.test(u)),
  );
  const archive = sources.filter((s) => s.suites.some(isReleaseSuite));
  const chosen = archive.find((s) => s.suites.includes(suite)) ?? archive[0];
  const uri = chosen?.uris.find((u) => /^https?:\/\//.test(u));
  if (!uri) {
    throw new OrchestratorError(
      'image-build-failed',
      `no Debian mirror found in the host's apt sources (${options.aptRoot ?? '/etc/apt'}/sources.list and sources.list.d/) ` +
        'to build images from; set CHALKFS_DEBIAN_MIRROR to a Debian archive URL',
    );
  }
  return uri.replace(/\/+$/, '');
}
