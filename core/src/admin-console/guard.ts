/**
 * What stands between a browser and the console's pages: the session cookie
 * (HttpOnly, SameSite=Strict, Secure over TLS), the check that a form comes
 * from this origin and carries its session's CSRF token, and the limit on
 * failed sign-ins per address.
 */
import type { Context } from 'koa';
import { ServerErrors } from '../errors.js';
import type { Logger } from '../log.js';
import { readForm } from './forms.js';
import { LoginLimit } from './login-limit.js';
import { csrfMatches, Sessions, type Session } from './sessions.js';

const SESSION_COOKIE = 'sugar_admin';

export interface GuardOptions {
  readonly session_idle: number;
  readonly login_attempts: number;
  readonly login_window: number;
}

export class ConsoleGuard {
  private sessions: Sessions;
  private limit: LoginLimit;
  /** Set once the console listens over TLS: its cookies are then Secure. */
  secure = false;

  constructor(
    private options: GuardOptions,
    private readonly log: Logger,
  ) {
    this.sessions = new Sessions(options.session_idle);
    this.limit = new LoginLimit(options.login_attempts, options.login_window);
  }

  /** New limits after a reload; sessions open now are kept unless their idle timeout changed. */
  reconfigure(options: GuardOptions): void {
    if (options.session_idle !== this.options.session_idle) this.sessions = new Sessions(options.session_idle);
    if (options.login_attempts !== this.options.login_attempts || options.login_window !== this.options.login_window) {
      this.limit = new LoginLimit(options.login_attempts, options.login_window);
    }
    this.options = options;
  }

  /** The live session the request's cookie names, its idle clock restarted. */
  sessionOf(ctx: Context): Session | undefined {
    return this.sessions.touch(ctx.cookies.get(SESSION_COOKIE));
  }

  /** Seconds until the request's address may try to sign in again (0: now). */
  blockedFor(ctx: Context): Promise<number> {
    return this.limit.blockedFor(ctx.ip);
  }

  failedSignIn(ctx: Context): Promise<void> {
    return this.limit.failed(ctx.ip);
  }

  /** A session for `account`, in the response's cookie; the address's failures are forgotten. */
  async signIn(ctx: Context, account: string): Promise<Session> {
    await this.limit.succeeded(ctx.ip);
    const session = this.sessions.open(account);
    ctx.cookies.set(SESSION_COOKIE, session.id, this.cookieOptions());
    return session;
  }

  signOut(ctx: Context, session: Session): void {
    this.sessions.close(session.id);
    ctx.cookies.set(SESSION_COOKIE, '', { ...this.cookieOptions(), maxAge: 0 });
  }

  /**
   * The session of a form post: from this origin, signed in, and carrying the
   * session's CSRF token. A form posted from another site arrives without the
   * cookie (SameSite=Strict), and is refused here either way. The form is
   * left in `ctx.state.form`.
   */
  async postedSession(ctx: Context, uploadLimit: number): Promise<Session> {
    this.checkOrigin(ctx);
    const session = this.sessionOf(ctx);
    if (!session) throw ServerErrors.ADMIN_SIGNED_OUT();
    const form = await readForm(ctx, uploadLimit);
    if (!csrfMatches(session, form.fields.get('_csrf'))) {
      this.log.warn({ account: session.account, path: ctx.path }, 'admin console: form refused (no or wrong CSRF token)');
      throw ServerErrors.ADMIN_FORM();
    }
    ctx.state.form = form;
    return session;
  }

  /** Browsers send `Origin` with every POST; one naming another site is refused before anything is read. */
  checkOrigin(ctx: Context): void {
    const origin = ctx.get('Origin');
    // Koa 3's ctx.origin is this header itself; compare with where this request arrived.
    if (origin && origin !== `${ctx.protocol}://${ctx.host}`) {
      this.log.warn({ origin, path: ctx.path }, 'admin console: form from another site refused');
      throw ServerErrors.ADMIN_FORM();
    }
  }

  cookieOptions(maxAge?: number) {
    return { httpOnly: true, secure: this.secure, sameSite: 'strict' as const, path: '/', overwrite: true, ...(maxAge ? { maxAge } : {}) };
  }
}
