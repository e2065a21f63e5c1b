// Preload (NODE_OPTIONS=--import): samples the chalkfs mount daemon (argv has --foreground) with
// the V8 profiler at 200 µs and writes a .cpuprofile when it exits.
import { Session } from 'node:inspector';
import { writeFileSync } from 'node:fs';
if (process.argv.includes('--foreground')) {
  const session = new Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.setSamplingInterval', { interval: 200 });
  session.post('Profiler.start');
  const started = Date.now();
  process.on('exit', () => {
    session.post('Profiler.stop', (err, res) => {
      if (!err) writeFileSync(`${process.env.CHALKFS_PROFILE_DIR ?? '/tmp'}/daemon-${started}-${process.pid}.cpuprofile`, JSON.stringify(res.profile));
    });
  });
}
