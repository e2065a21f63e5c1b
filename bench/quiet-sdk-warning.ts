/**
 * Imported first by main.ts: the AWS SDK warns about Node 20 when it loads, which says
 * nothing about the run and clutters the table. Other warnings still print.
 */
process.removeAllListeners('warning');
process.on('warning', (w) => {
  if (w.name !== 'NodeVersionSupportWarning') console.error(`warning: ${w.message}`);
});
