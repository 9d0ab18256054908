#!/usr/bin/env node
/** npm run notebook [-- options]: the same as `npx wirenote notebook [options]` (see its --help). */
'use strict';
process.argv.splice(2, 0, 'notebook');
require('../lib/bin/wirenote.js');
