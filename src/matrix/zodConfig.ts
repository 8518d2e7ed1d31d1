// Imported first by main.ts: zod decides at schema construction whether to
// compile fast parsers with new Function(), which the matrix's CSP (no
// 'unsafe-eval') would refuse with a logged violation.
import * as z from 'zod/mini';

z.config({ jitless: true });
