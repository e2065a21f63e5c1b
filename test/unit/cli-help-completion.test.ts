// The CLI's command tree (cli/program.ts) without running a command: every example names a
// real command, and the bash completion script generated from the tree completes
// commands, subcommands and options in a real bash.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import type { Command } from 'commander';
import { buildProgram } from '../../chalkfs/cli/program.js';
import { bashCompletion } from '../../chalkfs/cli/completion.js';
import { commandExamples } from '../../chalkfs/cli/help-text.js';

function commandPaths(command: Command, path = ''): string[] {
  return [path, ...command.commands.flatMap((c) => commandPaths(c, path ? `${path} ${c.name()}` : c.name()))];
}

/** What bash offers for `line` (the word being completed is the last one, possibly empty). */
function complete(script: string, line: string): string[] {
  const words = line.split(' ');
  const program = `${script}\nCOMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _chalkfs_complete; printf '%s\\n' "\${COMPREPLY[@]}"`;
  // PATH without chalkfs: the volume-name lookup finds no command and offers nothing.
  const r = spawnSync('bash', ['--norc', '-c', program], { encoding: 'utf8', env: { PATH: '/usr/bin:/bin' } });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout.split('\n').filter(Boolean).sort();
}

describe('chalkfs --help', () => {
  it('every example block belongs to a command that exists, and examples start with chalkfs or a shell construct', () => {
    const paths = new Set(commandPaths(buildProgram()));
    for (const [path, lines] of Object.entries(commandExamples)) {
      expect(paths.has(path), `examples for "${path}"`).toBe(true);
      for (const line of lines) expect(line).toMatch(/^(chalkfs |source <\(chalkfs |[A-Z_]+=\S+ chalkfs )/);
    }
  });
});

describe('chalkfs completion bash', () => {
  const script = bashCompletion(buildProgram());

  it('completes top-level commands and a group\'s subcommands', () => {
    expect(complete(script, 'chalkfs vo')).toEqual(['volume']);
    expect(complete(script, 'chalkfs d')).toEqual(['doctor']);
    expect(complete(script, 'chalkfs volume ')).toEqual(expect.arrayContaining(['create', 'du', 'ls', 'rm', 'snapshot', 'versions', 'restore', 'info', '--help']));
    expect(complete(script, 'chalkfs volume r')).toEqual(['restore', 'rm']);
  });

  it("completes a command's options, short and long, past options already given; hidden ones stay hidden", () => {
    expect(complete(script, 'chalkfs volume ls -')).toEqual(['--help', '--json', '--quiet', '-q']);
    expect(complete(script, 'chalkfs fsck --quick --')).toEqual(['--cache-dir', '--help', '--json', '--quick', '--repair']);
    expect(complete(script, 'chalkfs mount --')).not.toContain('--notify-parent');
    expect(complete(script, 'chalkfs mount --read')).toEqual(['--read-only']);
  });

  it('lists every visible command of the tree', () => {
    const top = complete(script, 'chalkfs ');
    for (const c of buildProgram().commands) expect(top).toContain(c.name());
  });
});
