/*
 * Imported before anything that loads the AWS SDK: the SDK warns about Node 20 when it
 * loads, which says nothing about a test. Other warnings still print.
 */
process.removeAllListeners('warning');
process.on('warning', (w) => {
  if (w.name !== 'NodeVersionSupportWarning' && !w.message.includes('NodeVersionSupportWarning')) console.error(`warning: ${w.name}: ${w.message}`);
});
