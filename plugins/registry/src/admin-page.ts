/**
 * The registry's page in the admin console: the laptops, searchable by serial
 * or name (live as one types, with htmx; a plain form without JavaScript),
 * with their key type and registration dates, and removal.
 */
import { html, type AdminPageSpec, type Html } from 'sugar-server';
import { REGISTRY_WORDS } from './admin-messages.js';
import { RegistryErrors } from './errors.js';
import { checkSerial } from './laptop-fields.js';
import type { Registry } from './registry.js';
import type { RegisteredLaptop } from './service.js';

/** Rows shown at once: a page stays small on a phone and quick with 5,000 laptops. */
const SHOWN = 100;

export function registryPage(registry: Registry): AdminPageSpec {
  return {
    route: 'laptops',
    title: 'title',
    messages: REGISTRY_WORDS,
    render(request) {
      const { t } = request;
      const query = (request.query.get('q') ?? '').trim().slice(0, 64);
      const all = registry.list();
      const matched = query ? all.filter((laptop) => matches(laptop, query.toLowerCase())) : all;
      const shown = matched.slice(0, SHOWN);
      return html`<section aria-labelledby="search-heading">
<h2 id="search-heading">${t('search')}</h2>
<form method="get" action="${request.path}" class="row" role="search">
<div><label for="q">${t('searchLabel')}</label>
<input id="q" name="q" value="${query}" type="search" aria-describedby="q-hint" hx-get="${request.path}" hx-trigger="input changed delay:300ms, search" hx-target="#laptops" hx-select="#laptops" hx-swap="outerHTML" hx-push-url="true">
<p id="q-hint" class="muted">${t('searchHint')}</p></div>
<button type="submit">${t('search')}</button>
</form>
</section>
<section id="laptops" aria-live="polite">
<p>${t('total', { count: all.length })} ${query ? t('shown', { shown: shown.length, matched: matched.length }) : ''}</p>
${all.length === 0 ? html`<p>${t('noLaptops')}</p>` : matched.length === 0 ? html`<p>${t('noMatch')}</p>` : table(shown, request.path, request)}
<p class="muted">${t('removeWarning')}</p>
</section>`;
    },
    actions: {
      async remove(request) {
        const serial = checkSerial(request.fields.get('serial'));
        if (!(await registry.remove(serial))) throw RegistryErrors.NOT_REGISTERED(serial);
      },
    },
  };
}

function matches(laptop: RegisteredLaptop, query: string): boolean {
  return laptop.serial.toLowerCase().includes(query) || laptop.nick.toLowerCase().includes(query);
}

function table(laptops: readonly RegisteredLaptop[], path: string, request: Parameters<AdminPageSpec['render']>[0]): Html {
  const { t } = request;
  const remove = request.formFields('remove');
  return html`<div class="table-wrap"><table>
<thead><tr><th scope="col">${t('serial')}</th><th scope="col">${t('nick')}</th><th scope="col">${t('keyType')}</th><th scope="col">${t('classGroup')}</th><th scope="col">${t('firstRegistered')}</th><th scope="col">${t('lastRegistered')}</th><th scope="col"><span class="muted">${t('remove')}</span></th></tr></thead>
<tbody>${laptops.map((laptop) => html`<tr>
<th scope="row"><code>${laptop.serial}</code></th><td>${laptop.nick}</td><td>${laptop.keyType}</td><td>${laptop.classGroup ?? ''}</td>
<td>${day(laptop.firstRegistered)}</td><td>${day(laptop.lastRegistered)}</td>
<td><form method="post" action="${path}" class="inline">${remove}<input type="hidden" name="serial" value="${laptop.serial}"><button type="submit" class="danger">${t('remove')}<span class="visually-hidden"> ${laptop.serial}</span></button></form></td>
</tr>`)}</tbody>
</table></div>`;
}

function day(iso: string): string {
  return iso.slice(0, 16).replace('T', ' ');
}
