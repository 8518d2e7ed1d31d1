// Imported first by main.ts: zod decides at schema construction whether to
// compile fast parsers with new Function(), and the webview's CSP (no
// 'unsafe-eval') would only answer that with a logged violation.
import * as z from 'zod/mini';

z.config({ jitless: true });
