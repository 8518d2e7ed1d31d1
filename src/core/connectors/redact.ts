// Model servers sometimes repeat the key they were sent in their error text
// ("Incorrect API key provided: sk-..."), and that text becomes a record's
// `error`, which is stored, returned by the API and shown. Every spelling of
// the token a server might use is replaced before the sentence leaves the
// connector.

export const REDACTED = '****';

/** The token as it may appear in text: as it is, percent-encoded (either case), JSON- and HTML-escaped. */
function spellings(secret: string): string[] {
  const encoded = encodeURIComponent(secret);
  const html = secret.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
  const forms = [secret, encoded, encoded.replace(/%[0-9A-F]{2}/g, (h) => h.toLowerCase()), JSON.stringify(secret).slice(1, -1), html];
  // Longest first, so a longer spelling is not left half-replaced by a shorter one inside it.
  return [...new Set(forms)].sort((a, b) => b.length - a.length);
}

/** `text` with every non-empty secret in it (also inside longer words) replaced by ****. */
export function redactSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret === '') continue;
    for (const form of spellings(secret)) out = out.split(form).join(REDACTED);
  }
  return out;
}
