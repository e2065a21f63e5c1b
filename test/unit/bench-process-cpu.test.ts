// The bench's CPU accounting (bench/process-cpu.ts): a client command's CPU is read as the
// growth of this process's ended children's CPU around it; the child's own account of its
// CPU is the reference.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { endedChildrenCpuMs, processCpuMs } from '../../bench/process-cpu.js';

describe('bench CPU accounting', () => {
  it("counts an ended child's CPU in endedChildrenCpuMs", () => {
    const before = endedChildrenCpuMs();
    // Spins until it has used 300 ms of CPU, then prints what it used.
    const burn = 'const s = process.cpuUsage(); let u; do { u = process.cpuUsage(s); } while (u.user + u.system < 300000); console.log((u.user + u.system) / 1000);';
    const childMs = Number(execFileSync(process.execPath, ['-e', burn], { encoding: 'utf8' }));
    const counted = endedChildrenCpuMs() - before;
    expect(childMs).toBeGreaterThanOrEqual(300);
    // /proc counts in clock ticks (10 ms); the child's start and exit add to it.
    expect(counted).toBeGreaterThanOrEqual(childMs - 20);
  });

  it('reads a running process and reports a gone one as undefined', () => {
    expect(processCpuMs(process.pid)).toBeGreaterThan(0);
    expect(processCpuMs(2 ** 22 + 1)).toBeUndefined(); // above pid_max's ceiling
  });
});
