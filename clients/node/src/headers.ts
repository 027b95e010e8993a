// What a provider's response headers say of its rate limits (migrations/README.md, "upstream_budget"):
// OpenAI's x-ratelimit-remaining-* with x-ratelimit-reset-* durations ("1s", "6m0s", "20ms"),
// Anthropic's anthropic-ratelimit-*-remaining with RFC 3339 reset times (the lowest of its token
// counts stands for ours), and retry-after (seconds or an HTTP date). A header that cannot be read
// is ignored with one debug line; nothing here throws.

export type HeaderSource =
  | Headers
  | Map<string, string | string[] | undefined>
  | Record<string, string | string[] | undefined | null>
  | Iterable<[string, string]>;

export interface RateLimitRead {
  /** -1 when no header said it. */
  requestsRemaining: number;
  requestsResetAfterMs: number;
  tokensRemaining: number;
  tokensResetAfterMs: number;
  /** -1 when there was no readable retry-after. */
  retryAfterMs: number;
}

export const MAX_RESET_MS = 86_400_000;

export function normalize(headers: HeaderSource | null | undefined): Map<string, string> {
  const out = new Map<string, string>();
  if (!headers) return out;
  const put = (k: unknown, v: unknown) => {
    const value = Array.isArray(v) ? v[0] : v;
    if (typeof k === 'string' && typeof value === 'string') out.set(k.trim().toLowerCase(), value.trim());
  };
  if (typeof (headers as Headers).forEach === 'function' && typeof (headers as Headers).get === 'function') {
    (headers as Headers).forEach((v, k) => put(k, v));
  } else if (typeof (headers as any)[Symbol.iterator] === 'function') {
    for (const [k, v] of headers as Iterable<[string, string]>) put(k, v);
  } else {
    for (const [k, v] of Object.entries(headers)) put(k, v);
  }
  return out;
}

export function readRateLimitHeaders(headers: HeaderSource | null | undefined, nowMs: number, debug: (m: string) => void): RateLimitRead {
  const h = normalize(headers);
  const ignored = (name: string, value: string) =>
    debug(`ignored the header ${name}: ${JSON.stringify(value.slice(0, 80))} (not understood)`);
  const count = (name: string): number => {
    const v = h.get(name);
    if (v === undefined) return -1;
    if (/^[0-9]{1,15}$/.test(v)) return Number(v);
    ignored(name, v);
    return -1;
  };
  const duration = (name: string): number => {
    const v = h.get(name);
    if (v === undefined) return 0;
    const part = /([0-9]+(?:\.[0-9]+)?)(ms|h|m|s)/y;
    let ms = 0;
    let end = 0;
    let m: RegExpExecArray | null;
    while ((m = part.exec(v)) !== null) {
      const n = Number(m[1]);
      ms += m[2] === 'h' ? n * 3_600_000 : m[2] === 'm' ? n * 60_000 : m[2] === 's' ? n * 1000 : n;
      end = part.lastIndex;
    }
    if (end === 0 || end !== v.length) {
      ignored(name, v);
      return 0;
    }
    return Math.min(MAX_RESET_MS, Math.ceil(ms));
  };
  const instant = (name: string): number => {
    const v = h.get(name);
    if (v === undefined) return 0;
    const at = /^\d{4}-\d{2}-\d{2}T/.test(v) ? Date.parse(v) : NaN;
    if (Number.isNaN(at)) {
      ignored(name, v);
      return 0;
    }
    return Math.min(MAX_RESET_MS, Math.max(0, at - nowMs));
  };

  let requestsRemaining = -1;
  let requestsResetAfterMs = 0;
  let tokensRemaining = -1;
  let tokensResetAfterMs = 0;
  let v = count('x-ratelimit-remaining-requests');
  if (v >= 0) {
    requestsRemaining = v;
    requestsResetAfterMs = duration('x-ratelimit-reset-requests');
  }
  v = count('x-ratelimit-remaining-tokens');
  if (v >= 0) {
    tokensRemaining = v;
    tokensResetAfterMs = duration('x-ratelimit-reset-tokens');
  }
  v = count('anthropic-ratelimit-requests-remaining');
  if (v >= 0) {
    requestsRemaining = v;
    requestsResetAfterMs = instant('anthropic-ratelimit-requests-reset');
  }
  for (const kind of ['tokens', 'input-tokens', 'output-tokens']) {
    v = count(`anthropic-ratelimit-${kind}-remaining`);
    if (v >= 0 && (tokensRemaining < 0 || v < tokensRemaining)) {
      tokensRemaining = v;
      tokensResetAfterMs = instant(`anthropic-ratelimit-${kind}-reset`);
    }
  }
  return { requestsRemaining, requestsResetAfterMs, tokensRemaining, tokensResetAfterMs, retryAfterMs: retryAfter(h, nowMs, ignored) };
}

function retryAfter(h: Map<string, string>, nowMs: number, ignored: (n: string, v: string) => void): number {
  const v = h.get('retry-after');
  if (v === undefined) return -1;
  if (/^[0-9]{1,9}(\.[0-9]+)?$/.test(v)) return Math.ceil(Number(v) * 1000);
  // An HTTP date (RFC 1123): "Wed, 21 Oct 2015 07:28:00 GMT".
  if (/^[A-Za-z]{3}, \d{2} [A-Za-z]{3} \d{4} \d{2}:\d{2}:\d{2} GMT$/.test(v)) {
    const at = Date.parse(v);
    if (!Number.isNaN(at)) return Math.max(0, at - nowMs);
  }
  ignored('retry-after', v);
  return -1;
}
