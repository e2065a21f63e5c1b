// `chalkfs doctor`: checks what mounts need from this host and from the store, one line
// per check (ok / warn / FAIL and what to do), exit status 1 when any check fails.
import { Command } from 'commander';
import { ChalkError, isChalkError } from '../../util/chalk-error.js';
import { clockSkewMs } from '../../lease/lease-rules.js';
import { allowsOtherUsers, findOnPath, fuseDeviceProblem, readFuseConf } from '../../host/fuse-prerequisites.js';
import { openStore, resolveStoreSettings, type OpenedStore } from '../../store/store-config.js';
import { checkConditionalWrites } from '../../store/conditional-writes-check.js';
import { leastSkewMs, measureClockOffset, mostSkewMs, type ClockOffset } from '../../store/server-clock.js';
import { printJson } from '../cli-context.js';

export type CheckStatus = 'ok' | 'warn' | 'FAIL';

export interface CheckResult {
  check: string;
  status: CheckStatus;
  detail: string;
}

export function formatCheck(r: CheckResult): string {
  return `${r.status.padEnd(4)}  ${r.check}: ${r.detail}`;
}

/**
 * Leases compare times two hosts wrote, and tolerate `clockSkewMs` between them
 * (lease-rules.ts). Each host is measured against the store, so two hosts each half the
 * margin off in opposite directions already use it all: more than half is a warning,
 * more than the whole margin certainly (the lower bound) fails.
 */
export function clockVerdict(offset: ClockOffset, marginMs = clockSkewMs): CheckResult {
  const mid = Math.round((offset.lowMs + offset.highMs) / 2);
  const spread = Math.round((offset.highMs - offset.lowMs) / 2);
  const said = `this host's clock is ${Math.abs(mid)} ms ${mid > 0 ? 'behind' : 'ahead of'} the store's (±${spread} ms, ${offset.samples} Date headers)`;
  const fix = 'run NTP (chrony, systemd-timesyncd) on this host and the store';
  if (leastSkewMs(offset) > marginMs) return { check: 'clock skew', status: 'FAIL', detail: `${said}: more than the lease's ${marginMs} ms margin; ${fix}` };
  if (mostSkewMs(offset) > marginMs / 2) return { check: 'clock skew', status: 'warn', detail: `${said}: may exceed half the lease's ${marginMs} ms margin (two hosts off in opposite directions add up); ${fix}` };
  return { check: 'clock skew', status: 'ok', detail: said };
}

function hostChecks(isRoot: boolean): CheckResult[] {
  const results: CheckResult[] = [];
  const device = fuseDeviceProblem();
  results.push({ check: 'fuse device', status: device ? 'FAIL' : 'ok', detail: device ?? '/dev/fuse is usable' });
  const conf = readFuseConf();
  if (isRoot) results.push({ check: 'allow_other', status: 'ok', detail: 'running as root: /etc/fuse.conf user_allow_other is not needed' });
  else if (conf !== undefined && allowsOtherUsers(conf)) results.push({ check: 'allow_other', status: 'ok', detail: 'user_allow_other is set in /etc/fuse.conf' });
  else results.push({ check: 'allow_other', status: 'FAIL', detail: `user_allow_other is not set in /etc/fuse.conf${conf === undefined ? ' (no such file)' : ''}: chalkfs mounts with allow_other, which a non-root user may only use with it; add the line user_allow_other` });
  const fusermount = findOnPath('fusermount3');
  if (fusermount) results.push({ check: 'fusermount3', status: 'ok', detail: fusermount });
  else results.push({ check: 'fusermount3', status: isRoot ? 'warn' : 'FAIL', detail: `not on PATH: ${isRoot ? 'root mounts without it, but clearing a dead mount needs it' : 'libfuse 3 mounts through it as a non-root user'}; install fuse3 (apt-get install fuse3)` });
  return results;
}

async function bindingCheck(): Promise<CheckResult> {
  try {
    const { libfuseVersion } = await import('../../fuse/lowlevel.js');
    return { check: 'libfuse 3', status: 'ok', detail: `the binding loads (libfuse ${Math.floor(libfuseVersion / 100)}.${libfuseVersion % 100})` };
  } catch (err) {
    const message = (err as Error).message.split('\n')[0];
    return { check: 'libfuse 3', status: 'FAIL', detail: `the binding does not load: ${message}${isChalkError(err, 'config') ? '' : '; install libfuse3 (apt-get install libfuse3-3), then run scripts/build-native.sh'}` };
  }
}

async function storeChecks(): Promise<CheckResult[]> {
  let store: OpenedStore;
  try {
    const settings = await resolveStoreSettings();
    store = await openStore(settings);
  } catch (err) {
    const message = (err as Error).message.split('\n')[0];
    const missingBucket = err instanceof ChalkError && err.kind === 'config' && /does not exist/.test(message);
    const skipped = { status: 'warn' as const, detail: `not checked: ${missingBucket ? 'the bucket does not exist yet' : 'the store is unreachable'}` };
    return [
      { check: 'store', status: missingBucket ? 'warn' : 'FAIL', detail: message },
      { check: 'conditional writes', ...skipped },
      { check: 'clock skew', ...skipped },
    ];
  }
  try {
    const results: CheckResult[] = [{ check: 'store', status: 'ok', detail: `reachable: ${store.description}` }];
    try {
      await checkConditionalWrites(store);
      results.push({ check: 'conditional writes', status: 'ok', detail: 'If-None-Match: * and If-Match on PUT are honoured' });
    } catch (err) {
      results.push({ check: 'conditional writes', status: 'FAIL', detail: (err as Error).message.split('\n')[0]! });
    }
    try {
      results.push(clockVerdict(await measureClockOffset(() => store.dateSample())));
    } catch (err) {
      results.push({ check: 'clock skew', status: 'FAIL', detail: `could not read the store's clock: ${(err as Error).message.split('\n')[0]}` });
    }
    return results;
  } finally {
    store.destroy();
  }
}

export function registerDoctorCommand(program: Command): void {
  program
    .command('doctor')
    .description('check this host and the store: FUSE device, allow_other, libfuse 3, store reachability, S3 conditional writes, clock skew')
    .option('--json', 'print JSON')
    .addHelpText('after', '\nOne line per check: ok, warn or FAIL with what to do. Exit status 1 when any check fails.\nThe store checks write and delete one probe object (probes/) and read the Date header of 8 requests over a second.')
    .action(async (opts: { json?: boolean }) => {
      const results = [...hostChecks(process.getuid?.() === 0), await bindingCheck(), ...(await storeChecks())];
      const failed = results.filter((r) => r.status === 'FAIL').length;
      if (opts.json) printJson({ ok: failed === 0, checks: results });
      else process.stdout.write(results.map(formatCheck).join('\n') + '\n');
      if (failed > 0) process.exitCode = 1;
    });
}
