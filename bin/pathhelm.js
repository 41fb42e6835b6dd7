#!/usr/bin/env node
// Entry point of the `pathhelm` binary: loads the built CLI and nothing else.
import('../dist/cli/main.js').catch((err) => {
  if (err && err.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes('dist/cli/main.js')) {
    console.error('pathhelm: the CLI is not built yet; run `npm run build` (npm install does it for you).');
    process.exit(1);
  }
  throw err;
});
