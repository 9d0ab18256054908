#!/usr/bin/env node
/** npm run report [-- options]: the same as `npx wirenote report [options]` (see its --help). */
'use strict';
process.argv.splice(2, 0, 'report');
require('../lib/bin/wirenote.js');
