/**
 * The admin console: server-rendered pages on a listener of their own
 * (`[admin] address`/`port`, HTTPS by default), for the school's admin and the
 * Mothership's operator. Sign-in with an account (`sugar-server admin passwd`)
 * or the admin token; sessions in an HttpOnly, SameSite=Strict cookie with an
 * idle timeout; a CSRF token in every form; failed sign-ins limited per
 * address; every change logged with the account that made it.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { Router } from '@koa/router';
import type { Context, Next } from 'koa';
import { isAdminToken } from '../admin.js';
import { isSugarError, ServerErrors, type SugarError } from '../errors.js';
import { createApp } from '../http/app.js';
import { toSugarError } from '../http/errors.js';
import { OwnedPort, urlFor } from '../listeners.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import { verifyPassword } from './accounts.js';
import { loadTls, type TlsMaterial } from './certificate.js';
import { localPath, loggedFields, readForm, type Form } from './forms.js';
import { html, isHtml, type Html } from './html.js';
import { fill, isLanguage, pickLanguage, translator, type Language, type Params } from './i18n.js';
import { CONSOLE_CSP, errorNotice, layout, type NavLink } from './layout.js';
import { ConsoleGuard } from './guard.js';
import { CORE_WORDS, type CoreWords } from './messages/index.js';
import type { AdminActionRequest, AdminPageRequest, AdminView, PageDirectory, RegisteredPage } from './pages.js';
import type { Session } from './sessions.js';
import { CONSOLE_CSS } from './style.js';
import type { ConfigOf } from '../config/options.js';
import type { adminSection } from './options.js';

export type AdminOptions = ConfigOf<typeof adminSection>;

const LANGUAGE_COOKIE = 'sugar_admin_lang';
const DEFAULT_UPLOAD_LIMIT = 1024 * 1024;
const HTMX_FILE = createRequire(import.meta.url).resolve('htmx.org/dist/htmx.min.js');

/** What the core's own pages need from the daemon. */
export interface CorePages {
  /** The overview's content, and what its forms do. */
  overview(request: AdminPageRequest): Promise<Html> | Html;
  switchPlugin(request: AdminActionRequest, service: string, on: boolean): Promise<Html | void>;
  setMaintenance(request: AdminActionRequest, on: boolean, reason: string | null): Promise<Html | void>;
}

export interface ConsoleDeps {
  readonly log: Logger;
  readonly metrics: Metrics;
  readonly etcDir: string;
  readonly dataDir: string;
  readonly pages: PageDirectory;
  readonly adminToken: () => string;
  readonly core: CorePages;
  /** Whether a service's plugin runs now (its pages show only then). */
  readonly running: (service: string) => boolean;
}

/** Where the console answers, for the log, `admin url` and /status. */
export interface ConsoleAddress {
  readonly url: string;
  readonly fingerprint: string | null;
}

export class AdminConsole {
  private port: OwnedPort | undefined;
  private readonly guard: ConsoleGuard;
  private tls: TlsMaterial | undefined;
  private htmx: Promise<Buffer> | undefined;

  constructor(
    private readonly deps: ConsoleDeps,
    private options: AdminOptions,
  ) {
    this.guard = new ConsoleGuard(options, deps.log);
  }

  get address(): ConsoleAddress | null {
    const bound = this.port?.address;
    if (!bound) return null;
    return { url: urlFor(bound.address, bound.port, this.tls ? 'https' : 'http'), fingerprint: this.tls?.fingerprint ?? null };
  }

  /** Listen as `[admin]` says; a console that cannot listen is logged, and the server goes on serving laptops. */
  async start(defaultAddress: string): Promise<ConsoleAddress | null> {
    const { log } = this.deps;
    if (!this.options.enabled) {
      log.info('admin console off ([admin] enabled = off)');
      return null;
    }
    try {
      const app = createApp({ log, metrics: this.deps.metrics, owner: 'admin-console', bodyLimit: DEFAULT_UPLOAD_LIMIT });
      const router = this.router();
      app.use(router.routes()).use(router.allowedMethods());
      if (this.options.tls) {
        this.tls = await loadTls(this.deps.dataDir, { certificate: this.options.certificate, key: this.options.key });
        this.port = OwnedPort.https('admin console', app, this.tls);
        this.guard.secure = true;
      } else {
        this.port = OwnedPort.http('admin console', app);
      }
      await this.port.listen(this.options.port, this.options.address ?? defaultAddress);
    } catch (err) {
      log.error({ err }, 'the admin console cannot start; the services go on without it');
      this.port = undefined;
      return null;
    }
    const address = this.address!;
    if (this.tls) {
      log.info({ url: address.url, fingerprint: address.fingerprint, selfSigned: this.tls.selfSigned }, `admin console at ${address.url} (certificate SHA-256 fingerprint ${address.fingerprint})`);
    } else {
      log.warn({ url: address.url }, `admin console at ${address.url} WITHOUT TLS ([admin] tls = off): passwords and sessions cross the network in the clear`);
    }
    return address;
  }

  /** Session and sign-in limits follow a reload; the listener keeps its address until a restart. */
  reconfigure(options: AdminOptions): void {
    this.guard.reconfigure(options);
    this.options = options;
  }

  async close(drainMs: number): Promise<void> {
    await this.port?.close(drainMs);
  }

  private router(): Router {
    const router = new Router();
    router.use((ctx, next) => this.answer(ctx, next));
    router.get('/static/console.css', (ctx) => {
      ctx.type = 'text/css; charset=utf-8';
      ctx.set('Cache-Control', 'max-age=3600');
      ctx.body = CONSOLE_CSS;
    });
    router.get('/static/htmx.min.js', async (ctx) => {
      this.htmx ??= readFile(HTMX_FILE);
      ctx.type = 'text/javascript; charset=utf-8';
      ctx.set('Cache-Control', 'max-age=86400');
      ctx.body = await this.htmx;
    });
    router.get('/lang/:language', (ctx) => {
      const language = ctx.params.language;
      if (isLanguage(language)) ctx.cookies.set(LANGUAGE_COOKIE, language, this.guard.cookieOptions(365 * 86_400_000));
      ctx.redirect(localPath(ctx.query.back));
    });
    router.get('/login', (ctx) => this.loginPage(ctx, null));
    router.post('/login', (ctx) => this.login(ctx));
    router.post('/logout', async (ctx) => {
      const session = await this.guard.postedSession(ctx, DEFAULT_UPLOAD_LIMIT);
      this.guard.signOut(ctx, session);
      this.deps.log.info({ account: session.account }, 'admin console: signed out');
      ctx.redirect('/login');
    });
    router.get('/', (ctx) => this.page(ctx, null));
    router.post('/', (ctx) => this.page(ctx, null));
    router.get('/p/:service/:route', (ctx) => this.page(ctx, this.pluginPage(ctx)));
    router.post('/p/:service/:route', (ctx) => this.page(ctx, this.pluginPage(ctx)));
    return router;
  }

  /** Headers every answer carries, and errors as pages in the reader's language. */
  private async answer(ctx: Context, next: Next): Promise<void> {
    ctx.set('Content-Security-Policy', CONSOLE_CSP);
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.set('Referrer-Policy', 'same-origin');
    if (this.tls) ctx.set('Strict-Transport-Security', 'max-age=31536000');
    try {
      await next();
    } catch (err) {
      const error = toSugarError(err);
      if (error.status >= 500) this.deps.log.error({ err, url: ctx.url }, 'admin console page failed');
      const { words } = this.wordsFor(ctx);
      ctx.status = error.status;
      const session = this.guard.sessionOf(ctx);
      const shown = { code: error.expose ? error.code : ServerErrors.INTERNAL.code, message: this.errorText(words, error, ctx) };
      const signIn = ServerErrors.ADMIN_SIGNED_OUT.is(error) ? html`<p><a href="/login">${words.signIn}</a></p>` : '';
      this.send(ctx, layout(this.frame(ctx, words.errorTitle, session), html`${errorNotice(words, shown)}${signIn}`));
    }
  }

  private errorText(words: CoreWords, error: SugarError, ctx: Context): string {
    if (!error.expose) return fill(words.internalError, { requestId: String(ctx.state.requestId ?? '') });
    const template = words.errors[error.code];
    return template ? fill(template, (ctx.state.errorParams ?? {}) as Params) : error.message;
  }

  private loginPage(ctx: Context, error: SugarError | null, status = 200): void {
    const { words } = this.wordsFor(ctx);
    const back = localPath(ctx.query.back);
    ctx.status = status;
    this.send(ctx, layout(this.frame(ctx, words.signIn, undefined), html`<div class="login">
${error ? errorNotice(words, { code: error.code, message: this.errorText(words, error, ctx) }) : ''}
<section>
<form method="post" action="/login">
<input type="hidden" name="back" value="${back}">
<label for="account">${words.accountName}</label>
<input id="account" name="account" autocomplete="username" autocapitalize="none" spellcheck="false">
<label for="password">${words.password}</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<p class="muted">${words.tokenHint}</p>
<p><button type="submit">${words.signIn}</button></p>
</form>
</section>
</div>`));
  }

  private async login(ctx: Context): Promise<void> {
    this.guard.checkOrigin(ctx);
    const address = ctx.ip;
    const wait = await this.guard.blockedFor(ctx);
    if (wait > 0) {
      this.deps.log.warn({ address }, 'admin console: sign-in refused, too many failures from this address');
      ctx.state.errorParams = { seconds: wait };
      ctx.set('Retry-After', String(wait));
      return this.loginPage(ctx, ServerErrors.ADMIN_LOGIN_LIMIT(wait), 429);
    }
    const { fields } = await readForm(ctx, 0);
    const account = (fields.get('account') ?? '').trim();
    const password = fields.get('password') ?? '';
    const name = account ? ((await verifyPassword(this.deps.etcDir, account, password)) ? account : null) : isAdminToken(password, this.deps.adminToken()) ? 'admin-token' : null;
    if (!name) {
      await this.guard.failedSignIn(ctx);
      this.deps.log.warn({ address, account: account || null }, 'admin console: sign-in failed');
      return this.loginPage(ctx, ServerErrors.ADMIN_LOGIN(), 401);
    }
    await this.guard.signIn(ctx, name);
    this.deps.log.info({ account: name, address }, 'admin console: signed in');
    ctx.status = 303;
    ctx.redirect(localPath(fields.get('back') ?? undefined));
  }

  private pluginPage(ctx: Context): RegisteredPage {
    const page = this.deps.pages.get(`/p/${ctx.params.service}/${ctx.params.route}`);
    if (!page || !this.shown(page)) throw ServerErrors.NOT_FOUND(ctx.path);
    return page;
  }

  /** A page (the overview when `page` is null) for GET, or one of its actions for POST. */
  private async page(ctx: Context, page: RegisteredPage | null): Promise<void> {
    const session = ctx.method === 'POST' ? await this.guard.postedSession(ctx, page?.spec.uploadLimit ?? DEFAULT_UPLOAD_LIMIT) : this.guard.sessionOf(ctx);
    if (!session) {
      ctx.redirect(`/login?back=${encodeURIComponent(ctx.originalUrl)}`);
      return;
    }
    const { language, words } = this.wordsFor(ctx);
    const t = page ? translator(page.spec.messages[language]) : translator({});
    const request: AdminPageRequest = {
      language,
      account: session.account,
      query: new URLSearchParams(ctx.querystring),
      path: page?.path ?? '/',
      t,
      formFields: (action) => html`<input type="hidden" name="_csrf" value="${session.csrf}"><input type="hidden" name="_action" value="${action}">`,
    };
    const title = page ? t(page.spec.title) : words.overview;
    let view: AdminView | void;
    if (ctx.method === 'POST') {
      const form = ctx.state.form as Form;
      const action = form.fields.get('_action') ?? '';
      const actionRequest: AdminActionRequest = { ...request, fields: form.fields, files: form.files };
      const log = this.deps.log.child({ account: session.account, page: request.path, action, fields: loggedFields(form) });
      try {
        view = page ? await this.pageAction(page, action, actionRequest) : await this.coreAction(action, actionRequest);
        log.info(`admin console: ${action} done`);
      } catch (err) {
        log.warn({ code: isSugarError(err) ? err.code : undefined, err: isSugarError(err) ? undefined : err }, `admin console: ${action} refused`);
        const error = toSugarError(err);
        if (error.status >= 500) throw err;
        ctx.status = error.status;
        const content = page ? await page.spec.render(request) : await this.deps.core.overview(request);
        if (!isHtml(content)) throw err;
        this.send(ctx, layout(this.frame(ctx, title, session, request.path), html`${errorNotice(words, { code: error.code, message: this.errorText(words, error, ctx) })}${content}`));
        return;
      }
      if (!view) {
        ctx.status = 303;
        ctx.redirect(request.path);
        return;
      }
    } else {
      view = page ? await page.spec.render(request) : await this.deps.core.overview(request);
    }
    if (!isHtml(view)) {
      const { name, type, data } = view.download;
      ctx.type = type;
      ctx.attachment(name);
      ctx.set('Cache-Control', 'no-store');
      ctx.body = data;
      return;
    }
    this.send(ctx, layout(this.frame(ctx, title, session, request.path), view));
  }

  private async pageAction(page: RegisteredPage, action: string, request: AdminActionRequest): Promise<AdminView | void> {
    const run = page.spec.actions?.[action];
    if (!run) throw ServerErrors.BAD_REQUEST(`${page.path} has no action "${action}"`);
    return run(request);
  }

  private coreAction(action: string, request: AdminActionRequest): Promise<Html | void> {
    const { fields } = request;
    const core = this.deps.core;
    if (action === 'plugin-on' || action === 'plugin-off') return core.switchPlugin(request, fields.get('service') ?? '', action === 'plugin-on');
    if (action === 'maintenance-on' || action === 'maintenance-off') return core.setMaintenance(request, action === 'maintenance-on', fields.get('reason')?.trim() || null);
    throw ServerErrors.BAD_REQUEST(`the overview has no action "${action}"`);
  }

  private wordsFor(ctx: Context): { language: Language; words: CoreWords } {
    const language = pickLanguage(ctx.cookies.get(LANGUAGE_COOKIE), ctx.get('Accept-Language'));
    return { language, words: CORE_WORDS[language] };
  }

  private frame(ctx: Context, title: string, session: Session | undefined, path = ctx.path) {
    const { language, words } = this.wordsFor(ctx);
    return { language, words, title, path, account: session?.account, csrf: session?.csrf, nav: session ? this.nav(words) : undefined };
  }

  private nav(words: CoreWords): NavLink[] {
    const links: NavLink[] = [{ path: '/', label: words.overview }];
    for (const page of this.deps.pages.list()) {
      if (this.shown(page)) links.push({ path: page.path, label: translator(page.spec.messages[words.language])(page.spec.title) });
    }
    return links;
  }

  private shown(page: RegisteredPage): boolean {
    return page.shown ? page.shown() : this.deps.running(page.service);
  }

  private send(ctx: Context, page: Html): void {
    ctx.type = 'text/html; charset=utf-8';
    ctx.set('Cache-Control', 'no-store');
    ctx.set('Vary', 'Accept-Language, Cookie');
    ctx.body = page.text;
  }
}
