/**
 * Pages plugins add to the admin console through `ctx.admin.page(...)`. A
 * page has a route under `/p/<service>/`, a title and its own words in every
 * language, a `render` for GET and `actions` for its forms. The console owns
 * sign-in, CSRF, the layout and logging; the page owns only what it shows and
 * does, calling its plugin's service code directly.
 */
import type { Readable } from 'node:stream';
import type { Awaitable } from '../awaitable.js';
import { ServerErrors } from '../errors.js';
import type { UploadedFile } from './forms.js';
import type { Html } from './html.js';
import type { Catalogues, Language, Params } from './i18n.js';

/** What a page is handed for a GET. */
export interface AdminPageRequest {
  readonly language: Language;
  /** The signed-in account. */
  readonly account: string;
  readonly query: URLSearchParams;
  /** This page's own path (`/p/<service>/<route>`), for links and form actions. */
  readonly path: string;
  /** The page's words in the reader's language; `{name}` slots are filled from `params`. */
  t(key: string, params?: Params): string;
  /** The hidden field every form must carry, and `_action` naming the action it runs. */
  formFields(action: string): Html;
}

/** What an action is handed: the request and the posted form. */
export interface AdminActionRequest extends AdminPageRequest {
  readonly fields: URLSearchParams;
  readonly files: ReadonlyMap<string, UploadedFile>;
}

/** A file to send instead of a page. */
export interface AdminDownload {
  readonly download: { readonly name: string; readonly type: string; readonly data: Buffer | string | Readable };
}

/** The page's content, laid out by the console; or a download. */
export type AdminView = Html | AdminDownload;

/**
 * An action's result: nothing (the browser is sent back to the page, which
 * shows the new state), or a view to show (an import's report).
 */
export type AdminActionResult = AdminView | void;

export interface AdminPageSpec {
  /** The page's path under `/p/<service>/`: lower-case letters, digits and `-`. */
  readonly route: string;
  /** Key of the page's title in `messages`. */
  readonly title: string;
  readonly messages: Catalogues;
  /** Largest file an action of this page takes, in bytes (default 1 MiB). */
  readonly uploadLimit?: number;
  render(request: AdminPageRequest): Awaitable<AdminView>;
  /** The page's forms by `_action`; every call is logged with the account that made it. */
  readonly actions?: Readonly<Record<string, (request: AdminActionRequest) => Awaitable<AdminActionResult>>>;
}

/** What `ctx.admin` offers a plugin. */
export interface AdminPages {
  /** Add a page to the console while this plugin runs. */
  page(spec: AdminPageSpec): void;
}

export interface RegisteredPage {
  readonly service: string;
  readonly spec: AdminPageSpec;
  readonly path: string;
  /** A page of the core's own (the fleet's): shown while this says so, not while a plugin runs. */
  readonly shown?: () => boolean;
}

const ROUTE = /^[a-z0-9][a-z0-9-]{0,39}$/;

/** Every running plugin's pages, by path. */
export class PageDirectory {
  private readonly byPath = new Map<string, RegisteredPage>();

  /** The `ctx.admin` of one plugin. */
  for(service: string): AdminPages {
    return {
      page: (spec) => {
        if (!ROUTE.test(spec.route)) throw ServerErrors.BAD_REQUEST(`${service}: admin page route "${spec.route}" must be lower-case letters, digits and -`);
        for (const language of ['en', 'es', 'fr'] as const) {
          if (!spec.messages[language]?.[spec.title]) throw ServerErrors.BAD_REQUEST(`${service}: admin page "${spec.route}" has no title "${spec.title}" in its ${language} messages`);
        }
        const path = `/p/${service}/${spec.route}`;
        this.byPath.set(path, { service, spec, path });
      },
    };
  }

  /** A page of the core's own under `/p/<section>/`, a section name no plugin may take; shown while `shown()` says so. */
  addCore(section: string, spec: AdminPageSpec, shown: () => boolean): void {
    const path = `/p/${section}/${spec.route}`;
    this.byPath.set(path, { service: section, spec, path, shown });
  }

  withdraw(service: string): void {
    for (const [path, page] of this.byPath) if (page.service === service) this.byPath.delete(path);
  }

  get(path: string): RegisteredPage | undefined {
    return this.byPath.get(path);
  }

  list(): RegisteredPage[] {
    return [...this.byPath.values()].sort((a, b) => a.path.localeCompare(b.path));
  }
}
