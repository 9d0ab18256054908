/**
 * Fill the compile cache for the notebooks given on stdin (JSON, parameters already injected), in
 * a process of its own: `wirenote report` runs this when a cell has changed, so that TypeScript's
 * memory (≈ 0.5 GB) is never added to that of the capture's analysis in the report's process.
 */
import { NotebookSession } from './execute';
import { Notebook } from './ipynb';

const notebooks = JSON.parse(require('fs').readFileSync(0, 'utf8')) as Notebook[];
const session = new NotebookSession();
try {
  for (const nb of notebooks) session.precompile(nb);
} finally {
  session.close();
}
