/** A fetch that answers every request with `body` and records the host each one went to (which environment an adapter talks to). */
export function hostRecorder(body: unknown): { hosts: string[]; fetch: typeof fetch } {
  const hosts: string[] = [];
  const recording: typeof fetch = async (input) => {
    hosts.push(new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url).host);
    return new Response(JSON.stringify(body), { status: 200, headers: { 'content-type': 'application/json' } });
  };
  return { hosts, fetch: recording };
}
