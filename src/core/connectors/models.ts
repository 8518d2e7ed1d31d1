// Asks an OpenAI-compatible server which models it has (GET <base>/models),
// for the guided "Add Endpoint" flow. Any failure means "could not list".
export async function listModels(baseUrl: string, token: string, timeoutMs = 3000): Promise<string[] | undefined> {
  const base = baseUrl.replace(/\/+$/, '');
  if (!/^https?:\/\//.test(base)) return undefined;
  try {
    const res = await fetch(`${base}/models`, {
      headers: token ? { Authorization: `Bearer ${token}` } : {},
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (!res.ok) return undefined;
    const body = (await res.json()) as { data?: { id?: unknown }[] };
    const ids = (body.data ?? []).map((m) => m.id).filter((id): id is string => typeof id === 'string');
    return ids.sort();
  } catch {
    return undefined;
  }
}
