#!/usr/bin/env node
/**
 * Execute notebooks the way `wirenote notebook --refresh` does (one NotebookSession, chapter from
 * the file name, no parameters), writing the executed copies to OUT instead of in place.
 *   node test/support/run-notebooks.js OUT NOTEBOOK...
 * Exit 1 if a cell fails. Run as its own process: tslab's executor needs a plain Node, not jest's sandbox.
 */
'use strict';
const path = require('path');
const { NotebookSession, chapterFromFile, readNotebook, writeNotebook } = require('../../lib');

async function main() {
  const [out, ...files] = process.argv.slice(2);
  delete process.env.WIRENOTE_CAPTURE;
  const session = new NotebookSession();
  try {
    for (const file of files) {
      const r = await session.run(readNotebook(file), file, { chapter: chapterFromFile(file) });
      writeNotebook(path.join(out, path.basename(file)), r.nb);
      if (r.failure) {
        console.error(`${file}: cell ${r.failure.cell + 1} failed:\n${r.failure.message}`);
        process.exitCode = 1;
        return;
      }
    }
  } finally {
    session.close();
  }
}

main();
