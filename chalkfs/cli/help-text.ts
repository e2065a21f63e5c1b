// What every `--help` ends with: the environment variables chalkfs reads, and a command's
// examples (commander prints both after its own text).
import type { Command } from 'commander';

export function environmentHelp(home: string): string {
  return `
Environment:
  CHALKFS_BUCKET                 bucket, or bucket/prefix to keep several chalkfs roots in one bucket (default: chalkfs)
  CHALKFS_S3_ENDPOINT            S3 endpoint URL (also AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL); with none: AWS S3 when
                                 credentials or a profile are set, else chalkfs's own MinIO under CHALKFS_HOME
  AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN
                                 credentials (the token with temporary ones); without them the AWS SDK's chain (profile, SSO, web identity, container, instance)
  AWS_PROFILE, AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE
                                 the profile, and its endpoint_url or services section, as the AWS CLI reads them
  AWS_REGION, AWS_DEFAULT_REGION the region (else the profile's, else us-east-1)
  CHALKFS_HOME                   mount records, logs, default block cache, embedded MinIO (now ${home})
  CHALKFS_MINIO_BIN              the MinIO binary for the embedded store (else the tool cache, else minio on PATH)
  CHALKFS_LOG_LEVEL              mount daemons' log level (default info)
  CHALKFS_LOG_MAX_SIZE           a mount's log file is rotated past this size (default 10MiB; 3 rotated files kept)
  CHALKFS_STORE_TIMEOUT_MS, CHALKFS_STORE_ATTEMPT_TIMEOUT_MS, CHALKFS_STORE_MAX_ATTEMPTS
                                 bounds on one store call, one HTTP attempt, and attempts (8000, 3000, 3)`;
}

/** Examples per command path ("" is the program itself), in one place. */
export const commandExamples: Readonly<Record<string, readonly string[]>> = {
  '': ['chalkfs volume create db', 'chalkfs mount db /mnt/db', 'chalkfs status', 'chalkfs doctor'],
  'volume create': ['chalkfs volume create db', 'chalkfs volume create big --block-size 4MiB', 'CHALKFS_BUCKET=shared/team-a chalkfs volume create db'],
  'volume ls': ['chalkfs volume ls', 'chalkfs volume ls -q', 'chalkfs volume ls --json'],
  'volume info': ['chalkfs volume info db', 'chalkfs volume info db --json'],
  'volume rm': ['chalkfs volume rm db', 'chalkfs volume rm -f db   # even while mounted somewhere'],
  'volume du': ['chalkfs volume du db', 'chalkfs volume du db --json'],
  'volume snapshot': ['chalkfs volume snapshot db --label before-migration'],
  'volume versions': ['chalkfs volume versions db', 'chalkfs volume versions db --json'],
  'volume restore': ['chalkfs volume versions db', 'chalkfs volume restore db 41'],
  'volume clone': ['chalkfs volume clone db db-copy', 'chalkfs volume clone db@41 db-before-migration'],
  'volume export': ['chalkfs volume export db ./db-copy', 'chalkfs volume export db@41 db-41.tar', 'chalkfs volume export db - | tar -t'],
  'volume import': ['chalkfs volume import db ./site', 'chalkfs volume import db site.tar --to /static', 'chalkfs volume import db - < site.tar'],
  gc: ['chalkfs gc db --dry-run', 'chalkfs gc db --retention 7d'],
  fsck: ['chalkfs fsck db', 'chalkfs fsck db --quick'],
  mount: ['chalkfs mount db /mnt/db', 'chalkfs mount db /mnt/db --read-only', 'chalkfs mount db@41 /mnt/old   # version 41, read-only', 'chalkfs mount db /mnt/db --metrics-addr 0.0.0.0:9570'],
  unmount: ['chalkfs unmount /mnt/db'],
  status: ['chalkfs status', 'chalkfs status --json'],
  logs: ['chalkfs logs /mnt/db', 'chalkfs logs db -f', 'chalkfs logs db -n 50 --json'],
  doctor: ['chalkfs doctor', 'chalkfs doctor --json'],
  completion: ['source <(chalkfs completion bash)', 'chalkfs completion bash > /etc/bash_completion.d/chalkfs'],
};

/** Adds each command's "Examples:" block to its help. */
export function addExamples(program: Command, examples: Readonly<Record<string, readonly string[]>> = commandExamples): void {
  const visit = (command: Command, path: string) => {
    const lines = examples[path];
    if (lines) command.addHelpText('after', `\nExamples:\n${lines.map((e) => `  $ ${e}`).join('\n')}`);
    for (const sub of command.commands) visit(sub, path ? `${path} ${sub.name()}` : sub.name());
  };
  visit(program, '');
}
