export { Limiter, Lease, resolveHome, OUTCOMES } from './limiter.js';
export type { OpenOptions, RequestOptions, ReleaseOptions, Outcome, QueuedEvent, GrantedEvent, Observation, Status } from './limiter.js';
export { inflightFetch } from './fetch.js';
export type { InflightFetchOptions } from './fetch.js';
export { DatabaseError, SchemaError, LeaseTimeoutError } from './errors.js';
export { readRateLimitHeaders } from './headers.js';
export type { HeaderSource, RateLimitRead } from './headers.js';
export type { Priority } from './store.js';
