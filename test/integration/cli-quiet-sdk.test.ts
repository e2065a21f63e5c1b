// The AWS SDK's Node-20 notice (NodeVersionSupportWarning) must reach no user: not the
// CLI's stderr, not a daemon's log. The adapter sets the SDK's own switch
// (chalkfs/store/s3-object-store.ts); these tests run the real CLI with Node's warnings
// on and the switch unset in the environment they inherit, and check that the switch is
// what silences it (a user who sets it to anything else sees the notice again).
import { describe, expect, it } from 'vitest';
import { ChalkfsFixture } from '../support/chalkfs-fixture.js';

const sdkWarning = /NodeVersionSupportWarning|DeprecationWarning|will require node|--trace-warnings/;
// Node's warnings on; the switch unset, as in a user's shell (the test process has it set).
const userShell = { NODE_NO_WARNINGS: undefined, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: undefined };

describe('the AWS SDK Node-version warning', () => {
  it('never reaches the stderr of volume create, volume ls, mount and unmount, nor the daemon log', async () => {
    await using fx = await ChalkfsFixture.create();
    for (const args of [['volume', 'create', 'quiet'], ['volume', 'ls']]) {
      const r = await fx.cliOk(args, { env: userShell });
      expect(r.stderr, args.join(' ')).not.toMatch(sdkWarning);
    }
    const mount = await fx.mount('quiet', { env: userShell });
    await mount.unmount();
    expect(await mount.log()).not.toMatch(sdkWarning);
  });

  // The SDK warns only below Node 22; on a newer Node there is nothing to see.
  it.runIf(Number(process.versions.node.split('.')[0]) < 22)('a user who turns the switch off sees the notice: the switch is what keeps it away', async () => {
    await using fx = await ChalkfsFixture.create();
    const r = await fx.cli(['volume', 'ls'], { env: { ...userShell, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'false' } });
    expect(r.stderr).toMatch(/NodeVersionSupportWarning/);
  });
});
