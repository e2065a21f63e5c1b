// Builds fuse-native from its (patched) C source. Its npm package ships a prebuilt
// binary made from the unpatched source; node-gyp-build loads build/Release first, so
// building here makes the patches in patches/ take effect. Skipped when up to date.
import { existsSync, statSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = join(root, 'node_modules', 'fuse-native');
const source = join(pkg, 'fuse-native.c');
const binary = join(pkg, 'build', 'Release', 'fuse.node');
if (!existsSync(source)) {
  console.error('[provision] fuse-native is not installed; run npm install first');
  process.exit(1);
}
if (existsSync(binary) && statSync(binary).mtimeMs >= statSync(source).mtimeMs) process.exit(0);
console.log('[provision] building fuse-native from patched source');
execFileSync(process.execPath, [join(root, 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'), 'rebuild', '--nodedir=/usr'], {
  cwd: pkg,
  stdio: 'pipe',
});
