// Who this process is, and whether another one is alive (migrations/README.md, "Process
// identity and liveness"), computed exactly as the Java client does, or Java would take this
// process for one of another host.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;

/** Control characters as escapes, for messages that quote rows others wrote. */
export function printable(text: string): string {
  return text.replace(CONTROL, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

export function hasControl(text: string): boolean {
  return /[\u0000-\u001f\u007f-\u009f]/.test(text);
}

const clean = (text: string) => text.replace(CONTROL, '');

export function hostId(): string {
  try {
    const boot = fs.readFileSync('/proc/sys/kernel/random/boot_id', 'ascii').trim();
    const ns = fs.readlinkSync('/proc/self/ns/pid');
    if (boot && ns) return `${boot}/${ns}`;
  } catch {
    // not Linux
  }
  return `host:${hostName()}`;
}

export function hostName(): string {
  const env = process.env.HOSTNAME ?? '';
  if (env.trim()) return clean(env.trim());
  try {
    const first = fs.readFileSync('/etc/hostname', 'utf8').split('\n')[0].trim();
    if (first) return clean(first);
  } catch {
    // fall through
  }
  return clean(os.hostname()) || 'localhost';
}

export function exeName(): string {
  try {
    return clean(path.basename(fs.readlinkSync('/proc/self/exe'))) || 'node';
  } catch {
    return clean(path.basename(process.execPath)) || 'node';
  }
}

/** Fields of /proc/PID/stat after the command name; null when unreadable. */
function statRest(pid: number): string[] | null {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return null;
  }
  return splitStat(text);
}

function splitStat(text: string): string[] | null {
  const close = text.lastIndexOf(')');
  if (close < 0) return null;
  const rest = text.slice(close + 2).split(' ');
  return rest.length >= 20 ? rest : null;
}

let onLinux: boolean | undefined;

/** Field 22 of /proc/PID/stat as text; null when the process is gone (or has ended and is only
 * a zombie or exiting); 'unknown' off Linux. */
export function startToken(pid: number): string | null {
  onLinux ??= isDir('/proc/self');
  if (!onLinux) return 'unknown';
  if (!Number.isInteger(pid) || pid <= 0) return null;
  return tokenOf(statRest(pid));
}

function tokenOf(rest: string[] | null): string | null {
  if (!rest) return null;
  const state = rest[0];
  const flags = Number(rest[6]);
  const threads = Number(rest[17]);
  if (threads <= 1 && (state === 'Z' || state === 'X' || state === 'x' || (flags & 0x4) !== 0)) return null;
  return rest[19];
}

export function parentPid(pid: number): number {
  const rest = statRest(pid);
  return rest ? Number(rest[1]) : 0;
}

function isDir(p: string) {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** Liveness of a row of this host: its pid runs and carries the stored start token. */
export function alive(pid: number, stored: string): boolean {
  const current = startToken(pid);
  if (current == null) return false;
  if (current === 'unknown' || stored === 'unknown') return true;
  return current === stored;
}

/** Whether process `pid` with that start token is among this process's ancestors (64 steps). */
export function isAncestor(pid: number, token: string): boolean {
  let current = process.pid;
  for (let i = 0; i < 64; i++) {
    const parent = parentPid(current);
    if (parent <= 0) return false;
    if (parent === pid) return alive(pid, token);
    current = parent;
  }
  return false;
}

/** The kernel's name of a file in /proc/locks: "major:minor:inode", major and minor in hex. */
export function lockKey(file: string): string | null {
  let st: fs.BigIntStats;
  try {
    st = fs.statSync(file, { bigint: true });
  } catch {
    return null;
  }
  const dev = st.dev;
  const major = ((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn);
  const minor = (dev & 0xffn) | ((dev >> 12n) & ~0xffn);
  return `${major.toString(16).padStart(2, '0')}:${minor.toString(16).padStart(2, '0')}:${st.ino}`;
}

/** Whether /proc/locks lists a granted POSIX write lock of `pid` (or an OFD write lock) on the
 * file; null when /proc/locks cannot be read. Any byte range counts, as it does for Java. */
export function holdsWriteLock(file: string, pid: number): boolean | null {
  const key = lockKey(file);
  if (!key) return false;
  let lines: string[];
  try {
    lines = fs.readFileSync('/proc/locks', 'ascii').split('\n');
  } catch {
    return null;
  }
  for (const line of lines) {
    const f = line.trim().split(/\s+/);
    if (f.length < 6 || f[1] === '->' || f[3] !== 'WRITE' || f[5] !== key) continue;
    if (f[1] === 'POSIX' && f[4] === String(pid)) return true;
    if (f[1] === 'OFDLCK' && (f[4] === '-1' || f[4] === String(pid))) return true;
  }
  return false;
}

/** Whether anyone at all holds a write lock on the file now (/proc/locks). */
export function anyWriteLock(file: string): boolean {
  const key = lockKey(file);
  if (!key) return false;
  try {
    return fs
      .readFileSync('/proc/locks', 'ascii')
      .split('\n')
      .some((line) => {
        const f = line.trim().split(/\s+/);
        return f.length >= 6 && f[1] !== '->' && f[3] === 'WRITE' && f[5] === key;
      });
  } catch {
    return false;
  }
}

/**
 * Watches a process of this host cheaply: /proc/PID/stat opened once and re-read in place (no
 * open or close per look). The descriptor names that process, not its pid: once it has been
 * reaped, reads fail (ESRCH) even if the pid is reused.
 */
export class ProcessProbe {
  private fd: number | null;
  private readonly buf = Buffer.alloc(1024);
  constructor(
    readonly pid: number,
    readonly token: string,
  ) {
    try {
      this.fd = fs.openSync(`/proc/${pid}/stat`, 'r');
    } catch {
      this.fd = null;
    }
  }
  /** Whether the process still runs and carries its start token. */
  alive(): boolean {
    if (this.fd == null) return false;
    let n: number;
    try {
      n = fs.readSync(this.fd, this.buf, 0, this.buf.length, 0);
    } catch {
      return false;
    }
    const current = tokenOf(splitStat(this.buf.toString('latin1', 0, n)));
    return current != null && (this.token === 'unknown' || current === this.token);
  }
  close() {
    if (this.fd != null) fs.closeSync(this.fd);
    this.fd = null;
  }
}
