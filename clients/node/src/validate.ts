// Argument checks: each names the parameter, the rule and the value, and runs before anything
// is written (STYLE.md, "Errors people can act on").

import { hasControl, printable } from './identity.js';
import { PRIORITIES, type Priority } from './store.js';

const show = (v: unknown): string => {
  if (typeof v === 'string') return JSON.stringify(printable(v.length > 60 ? v.slice(0, 60) + '…' : v));
  if (typeof v === 'bigint') return `${v}n`;
  if (typeof v === 'function') return 'a function';
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
};

export function text(parameter: string, value: unknown, min: number, max = 200): string {
  if (typeof value !== 'string') throw new TypeError(`${parameter} must be a string (was ${show(value)})`);
  if (value.length < min || value.length > max)
    throw new RangeError(`${parameter} must be ${min} to ${max} characters (was ${value.length}: ${show(value)})`);
  if (hasControl(value))
    throw new RangeError(`${parameter} must not hold control characters (U+0000-U+001F, U+007F-U+009F) (was ${show(value)})`);
  const wellFormed = (value as any).isWellFormed ? (value as any).isWellFormed() : !/[\ud800-\udfff]/.test(value);
  if (!wellFormed || value.includes('\ufffd'))
    throw new RangeError(`${parameter} must be valid UTF-8 text, without lone surrogates or U+FFFD (was ${show(value)})`);
  return value;
}

export function integer(parameter: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number') throw new TypeError(`${parameter} must be an integer from ${min} to ${max} (was ${show(value)})`);
  if (!Number.isInteger(value) || value < min || value > max)
    throw new RangeError(`${parameter} must be an integer from ${min} to ${max} (was ${show(value)})`);
  return value;
}

export function duration(parameter: string, value: unknown, max: number): number {
  if (typeof value !== 'number') throw new TypeError(`${parameter} must be a number of milliseconds from 0 to ${max} (was ${show(value)})`);
  if (!Number.isFinite(value) || value < 0 || value > max)
    throw new RangeError(`${parameter} must be a number of milliseconds from 0 to ${max} (was ${show(value)})`);
  return value;
}

export function priority(value: unknown): Priority {
  if (!PRIORITIES.includes(value as Priority))
    throw new RangeError(`priority must be one of ${PRIORITIES.join(', ')} (was ${show(value)})`);
  return value as Priority;
}

export function oneOf<T extends string>(parameter: string, value: unknown, allowed: readonly T[]): T {
  if (!allowed.includes(value as T)) throw new RangeError(`${parameter} must be one of ${allowed.join(', ')} (was ${show(value)})`);
  return value as T;
}

export function object(parameter: string, value: unknown): Record<string, unknown> {
  if (value === undefined) return {};
  if (value === null || typeof value !== 'object') throw new TypeError(`${parameter} must be an object (was ${show(value)})`);
  return value as Record<string, unknown>;
}

export function known(parameter: string, value: Record<string, unknown>, keys: readonly string[]) {
  for (const k of Object.keys(value)) {
    if (!keys.includes(k)) throw new TypeError(`${parameter} has no option ${show(k)} (known: ${keys.join(', ')})`);
  }
}

export function signal(value: unknown): AbortSignal | undefined {
  if (value === undefined) return undefined;
  if (!(value instanceof AbortSignal)) throw new TypeError(`signal must be an AbortSignal (was ${show(value)})`);
  return value;
}

export function model(provider: string, value: unknown): string {
  const m = text('model', value ?? '', 0);
  if (m.startsWith(provider + '/'))
    throw new RangeError(
      `model must be the model's own name under its provider (provider ${show(provider)}, model ${show(m)}; not ${show(provider + '/' + m)})`,
    );
  return m;
}
