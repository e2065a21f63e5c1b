/*
 * The manifests under deploy/kubernetes/ validate offline against the Kubernetes API
 * types (deploy/kubernetes/validate: strict decoding with k8s.io/api, built with `go run`
 * through the Go module proxy), and the validator does refuse a misspelt field and a
 * value of the wrong type, so a pass means something.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { projectRoot } from '../../chalkfs/util/paths.js';

const deployDir = join(projectRoot, 'deploy', 'kubernetes');

function validate(files: string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve) =>
    execFile('go', ['run', '.', ...files], { cwd: join(deployDir, 'validate'), env: { ...process.env, GOFLAGS: '-buildvcs=false' }, timeout: 600_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, output: stdout + stderr }),
    ),
  );
}

test('every manifest in deploy/kubernetes validates against the Kubernetes API types; broken ones do not', async () => {
  const manifests = (await readdir(deployDir)).filter((f) => f.endsWith('.yaml')).map((f) => join(deployDir, f));
  const good = await validate(manifests);
  expect(good.output).toMatch(/\b21 documents, 0 invalid\n/);
  expect(good.code, good.output).toBe(0);
  for (const kind of ['CSIDriver', 'DaemonSet', 'Deployment', 'StorageClass', 'PersistentVolumeClaim', 'Job', 'Pod', 'ClusterRole']) expect(good.output).toContain(`: ${kind} `);

  const dir = await mkdtemp(join(tmpdir(), 'chalkfs-manifests-'));
  try {
    const driver = await readFile(join(deployDir, 'csi-driver.yaml'), 'utf8');
    await writeFile(join(dir, 'misspelt.yaml'), driver.replace('attachRequired: false', 'attachRequird: false'));
    const controller = await readFile(join(deployDir, 'controller.yaml'), 'utf8');
    await writeFile(join(dir, 'wrong-type.yaml'), controller.replace('replicas: 1', 'replicas: "one"'));
    const bad = await validate([join(dir, 'misspelt.yaml'), join(dir, 'wrong-type.yaml')]);
    expect(bad.code).not.toBe(0);
    expect(bad.output).toContain('unknown field "spec.attachRequird"');
    expect(bad.output).toMatch(/cannot unmarshal string .*replicas/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
