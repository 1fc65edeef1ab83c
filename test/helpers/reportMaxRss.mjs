// Preloaded into a child (node --import): on exit, the process's peak resident set (all threads) on stderr.
process.on('exit', () => {
  process.stderr.write(`\nMAX_RSS_KB=${process.resourceUsage().maxRSS}\n`);
});
