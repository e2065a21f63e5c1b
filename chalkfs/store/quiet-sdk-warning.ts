// Imported first by the entry points that load the AWS SDK in-process (the bench, the
// test support): the SDK warns about Node 20 when it loads, which says nothing about a
// run and clutters its output. It lives beside the SDK's adapter because it is knowledge
// about the SDK. Other warnings still print, with their name.
process.removeAllListeners('warning');
process.on('warning', (w) => {
  if (w.name !== 'NodeVersionSupportWarning' && !w.message.includes('NodeVersionSupportWarning')) console.error(`warning: ${w.name}: ${w.message}`);
});
