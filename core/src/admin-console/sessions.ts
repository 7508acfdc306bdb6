/**
 * Console sessions, held in memory (a restart logs everyone out, which a
 * school server's admin barely notices): a random id in an HttpOnly,
 * SameSite=Strict cookie, the account it belongs to, and the CSRF token every
 * form of that session carries. A session unused for `idleMs` is gone.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';

export interface Session {
  readonly id: string;
  readonly account: string;
  /** Sent back in every form as `_csrf`. */
  readonly csrf: string;
  lastSeen: number;
}

const MAX_SESSIONS = 10_000;

export class Sessions {
  private readonly byId = new Map<string, Session>();

  constructor(
    private readonly idleMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  open(account: string): Session {
    this.sweep();
    if (this.byId.size >= MAX_SESSIONS) this.byId.delete(this.byId.keys().next().value!);
    const session: Session = { id: token(), account, csrf: token(), lastSeen: this.now() };
    this.byId.set(session.id, session);
    return session;
  }

  /** The live session with this id, its idle clock restarted; undefined when unknown or idle too long. */
  touch(id: string | undefined): Session | undefined {
    if (!id) return undefined;
    const session = this.byId.get(id);
    if (!session) return undefined;
    if (this.now() - session.lastSeen > this.idleMs) {
      this.byId.delete(id);
      return undefined;
    }
    session.lastSeen = this.now();
    return session;
  }

  close(id: string): void {
    this.byId.delete(id);
  }

  private sweep(): void {
    const now = this.now();
    for (const [id, session] of this.byId) if (now - session.lastSeen > this.idleMs) this.byId.delete(id);
  }
}

/** Whether a form's `_csrf` is the session's (compared in constant time). */
export function csrfMatches(session: Session, given: string | null): boolean {
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(session.csrf);
  return a.length === b.length && timingSafeEqual(a, b);
}

function token(): string {
  return randomBytes(32).toString('base64url');
}
