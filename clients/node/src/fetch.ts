// inflightFetch: a fetch that takes a lease per request and holds it until the response body
// has been read to its end (or cancelled, or failed), for SDKs that accept a custom fetch:
//   new OpenAI({ fetch: inflightFetch(limiter, { provider: 'openai' }) })

import type { Lease, Limiter, Outcome } from './limiter.js';
import { readRateLimitHeaders } from './headers.js';
import type { Priority } from './store.js';
import * as V from './validate.js';

export interface InflightFetchOptions {
  provider: string;
  /** The model's level to count against (default: the provider's level only). */
  model?: string;
  weight?: number;
  tokens?: number;
  priority?: Priority;
  label?: string;
  /** Milliseconds to wait for a lease at most (default: for ever). */
  timeout?: number;
  /** The fetch to wrap (default: the global fetch). */
  fetch?: typeof fetch;
}

type Fetch = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/**
 * Returns a fetch-compatible function. Each call takes a lease of `provider` (waiting in the
 * shared queue; the request's own `signal` also cancels the wait), sends the request, shares the
 * response's rate-limit headers with every process (`limiter.observe`), and releases the lease
 * when the body ends: `succeeded`, `failed` for a 5xx, a network error or a broken stream,
 * `cancelled` when the reader cancels it, and `rate_limited` with its `retry-after` for a 429
 * (which pauses the provider for every process). Read or cancel every body: a body left unread
 * holds its lease until the process exits.
 */
export function inflightFetch(limiter: Limiter, options: InflightFetchOptions): Fetch {
  const o = V.object('options', options);
  V.known('options', o, ['provider', 'model', 'weight', 'tokens', 'priority', 'label', 'timeout', 'fetch']);
  const provider = V.text('provider', o.provider, 1);
  const model = V.model(provider, o.model ?? '');
  if (o.fetch !== undefined && typeof o.fetch !== 'function') throw new TypeError(`fetch must be a function (was ${typeof o.fetch})`);
  const inner: Fetch = (o.fetch as Fetch | undefined) ?? ((input, init) => globalThis.fetch(input, init));
  const request = {
    model: model || undefined,
    weight: o.weight as number | undefined,
    tokens: o.tokens as number | undefined,
    priority: o.priority as Priority | undefined,
    label: o.label as string | undefined,
    timeout: o.timeout as number | undefined,
  };
  // Checked once here, so that a bad option fails at set-up and not at the first request.
  for (const [k, v] of Object.entries(request)) if (v === undefined) delete (request as any)[k];

  return async (input, init) => {
    const signal = init?.signal ?? (input instanceof Request ? input.signal : undefined);
    const lease = await limiter.acquire(provider, { ...request, signal: signal ?? undefined });
    let response: Response;
    try {
      response = await inner(input, init);
    } catch (e) {
      end(lease, signal?.aborted ? 'cancelled' : 'failed');
      throw e;
    }
    try {
      limiter.observe(provider, model, response.headers);
    } catch {
      // the word is advice; the response is what the caller asked for
    }
    if (response.status === 429) {
      const r = readRateLimitHeaders(response.headers, Date.now(), () => {});
      end(lease, 'rate_limited', r.retryAfterMs >= 0 ? Math.min(r.retryAfterMs, 86_400_000) : undefined);
    }
    const outcome: Outcome = response.status >= 500 ? 'failed' : 'succeeded';
    if (!response.body) {
      end(lease, outcome);
      return response;
    }
    const reader = response.body.getReader();
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        try {
          const { done, value } = await reader.read();
          if (done) {
            controller.close();
            end(lease, outcome);
          } else controller.enqueue(value);
        } catch (e) {
          end(lease, signal?.aborted ? 'cancelled' : 'failed');
          controller.error(e);
        }
      },
      async cancel(reason) {
        end(lease, 'cancelled');
        await reader.cancel(reason);
      },
    });
    const wrapped = new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
    // A Response made here has no url; SDKs read it for messages.
    Object.defineProperty(wrapped, 'url', { value: response.url });
    Object.defineProperty(wrapped, 'redirected', { value: response.redirected });
    return wrapped;
  };
}

function end(lease: Lease, outcome: Outcome, retryAfter?: number) {
  if (lease.released) return;
  try {
    lease.release(outcome, retryAfter === undefined ? undefined : { retryAfter });
  } catch {
    // a release that could not be written is reclaimed with this process
  }
}
