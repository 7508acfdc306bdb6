/**
 * The filter's page in the admin console: whether it filters, the compile
 * (its progress refreshed live with htmx while it runs), the categories and
 * their sizes, checking a URL with the rule that decided it, uploading lists,
 * and the school's own allow and block lists, checked line by line before
 * they are saved and compiled.
 */
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { html, isSugarError, refusal, type AdminPageRequest, type AdminPageSpec, type Catalogues, type Html } from 'sugar-server';
import type { BlacklistsService } from './blacklists-service.js';
import type { SourceKeeper } from './compile/source-keeper.js';
import { BlacklistsErrors } from './errors.js';
import { categoriesReport } from './export/categories-report.js';
import { ALLOW_FILE, BLOCK_FILE } from './paths.js';

const MAX_CHECK_URL = 4096;
const MAX_LIST_LINES = 10_000;
/** A host name, optionally with a path: what the compile takes from the school's own lists. */
const LIST_LINE = /^(?=.{1,253}(\/|$))([a-z0-9_](?:[a-z0-9_-]{0,62}[a-z0-9_])?\.)*[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?(\/\S{0,2000})?$/i;

export interface BlacklistsPageDeps {
  readonly service: BlacklistsService;
  readonly sources: SourceKeeper;
  readonly etcDir: string;
  readonly uploadLimit: number;
  readonly upstream: string | undefined;
}

type ListName = 'allow' | 'block';

export function blacklistsPage(deps: BlacklistsPageDeps): AdminPageSpec {
  const listFile = (name: ListName) => join(deps.etcDir, name === 'allow' ? ALLOW_FILE : BLOCK_FILE);
  const render = async (request: AdminPageRequest, extra?: Html, edited?: Partial<Record<ListName, string>>): Promise<Html> => {
    const lists = {
      allow: edited?.allow ?? (await readFile(listFile('allow'), 'utf8').catch(() => '')),
      block: edited?.block ?? (await readFile(listFile('block'), 'utf8').catch(() => '')),
    };
    return html`${extra}${compile(request, deps.service)}${check(request, deps.service)}${categories(request, deps.service)}${listsForm(request, lists)}${deps.upstream ? '' : uploadForm(request)}`;
  };
  return {
    route: 'filter',
    title: 'title',
    messages: WORDS,
    uploadLimit: deps.uploadLimit,
    render: (request) => render(request),
    actions: {
      async lists(request) {
        const edited = { allow: request.fields.get('allow') ?? '', block: request.fields.get('block') ?? '' };
        const problems = [...badLines(edited.allow, 'allow'), ...badLines(edited.block, 'block')];
        if (problems.length) {
          const shown = problems.slice(0, 20).map(({ list, line, text }) => html`<li>${request.t(list === 'allow' ? 'allowList' : 'blockList')}, ${request.t('line', { line })}: <code>${text}</code></li>`);
          return render(request, html`<div class="notice error" role="alert"><p>${request.t('badLines', { count: problems.length })}</p><ul>${shown}</ul></div>`, edited);
        }
        for (const name of ['allow', 'block'] as const) await replaceFile(listFile(name), tidy(edited[name]));
        void deps.service.recompile().catch(() => {});
      },
      async upload(request) {
        if (deps.upstream) throw BlacklistsErrors.FOLLOWS_UPSTREAM(deps.upstream);
        const file = request.files.get('archive');
        if (!file || file.data.length === 0) return render(request, refusal(request.t('noFile')));
        const incoming = await deps.sources.receivingFile();
        try {
          await writeFile(incoming.path, file.data);
          const candidate = await deps.sources.uploaded(incoming.path);
          void deps.service.compileCandidate(candidate).catch(() => {});
        } finally {
          await rm(incoming.path, { force: true });
          incoming.release();
        }
      },
    },
  };
}

/** Lines of a list that the compile would refuse, numbered from 1; blank lines and `#` comments are fine. */
function badLines(text: string, list: ListName): { list: ListName; line: number; text: string }[] {
  const lines = text.split(/\r?\n/);
  if (lines.length > MAX_LIST_LINES) return [{ list, line: MAX_LIST_LINES + 1, text: lines[MAX_LIST_LINES]! }];
  return lines.flatMap((raw, i) => {
    const line = raw.trim();
    return line === '' || line.startsWith('#') || LIST_LINE.test(line) ? [] : [{ list, line: i + 1, text: line.slice(0, 200) }];
  });
}

function tidy(text: string): string {
  const lines = text.split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
  return lines.length ? `${lines.join('\n')}\n` : '';
}

/** On disk whole or not at all: a compile must never read half a list. */
async function replaceFile(file: string, text: string): Promise<void> {
  const temp = `${file}.${process.pid}.tmp`;
  await writeFile(temp, text, { mode: 0o644 });
  await rename(temp, file);
}

function compile(request: AdminPageRequest, service: BlacklistsService): Html {
  const { t } = request;
  const status = service.compileStatus();
  const running = status.state === 'compiling';
  const progress = status.progress;
  // While a compile runs, htmx asks for this section again every two seconds; without JavaScript, reloading does the same.
  return html`<section id="compile" aria-labelledby="compile-heading" aria-live="polite"${running ? html` hx-get="${request.path}" hx-trigger="every 2s" hx-select="#compile" hx-swap="outerHTML"` : ''}>
<h2 id="compile-heading">${t('filtering')}</h2>
<p><strong>${service.filtering === 'ready' ? t('ready') : t('unavailable')}</strong></p>
${running ? html`<p>${t('compiling')}${progress ? ` ${t(`phase.${progress.phase}`)}${progress.category ? ` (${progress.category})` : ''}` : ''}</p>
${progress && progress.bytesTotal > 0 ? html`<progress max="${progress.bytesTotal}" value="${progress.bytesRead}" aria-label="${t('compiling')}">${Math.round((100 * progress.bytesRead) / progress.bytesTotal)}%</progress>` : ''}` : ''}
${status.lastSuccess ? html`<p class="muted">${t('lastCompile', { at: status.lastSuccess.at.slice(0, 16).replace('T', ' '), seconds: (status.lastSuccess.ms / 1000).toFixed(1) })}</p>` : ''}
${status.lastError ? html`<div class="notice error" role="alert"><p>${status.lastError.message}</p><p class="code"><code>${status.lastError.code}</code></p></div>` : ''}
</section>`;
}

function check(request: AdminPageRequest, service: BlacklistsService): Html {
  const { t } = request;
  const url = (request.query.get('url') ?? '').trim().slice(0, MAX_CHECK_URL);
  let answer: Html | string = '';
  if (url) {
    try {
      const result = service.check(url);
      answer = html`<div class="notice ${result.blocked ? 'error' : 'ok'}" role="status"><p><strong>${result.blocked ? t('blocked') : t('allowed')}</strong> <code>${result.normalised.host}${result.normalised.path}</code></p>
${result.rule ? html`<p>${t('because', { list: t(`list.${result.rule.list}`), entry: result.rule.entry, category: result.rule.category })}</p>` : html`<p>${t('noRule')}</p>`}</div>`;
    } catch (err) {
      if (!isSugarError(err)) throw err;
      answer = html`<div class="notice error" role="alert"><p>${err.message}</p><p class="code"><code>${err.code}</code></p></div>`;
    }
  }
  return html`<section aria-labelledby="check-heading"><h2 id="check-heading">${t('checkHeading')}</h2>
<form method="get" action="${request.path}" class="row"><div><label for="url">${t('urlLabel')}</label><input id="url" name="url" type="text" inputmode="url" value="${url}" size="40"></div><button type="submit">${t('check')}</button></form>
${answer}
</section>`;
}

function categories(request: AdminPageRequest, service: BlacklistsService): Html {
  const { t } = request;
  const index = service.index;
  if (!index) return html`<section aria-labelledby="categories"><h2 id="categories">${t('categories')}</h2><p>${t('noIndex')}</p></section>`;
  const report = categoriesReport(index);
  return html`<section aria-labelledby="categories"><h2 id="categories">${t('categories')}</h2>
<p class="muted">${t('totals', { domains: report.totals.domains, urls: report.totals.urls })}${report.source ? ` · ${report.source}` : ''}</p>
<div class="table-wrap"><table>
<thead><tr><th scope="col">${t('category')}</th><th scope="col">${t('domains')}</th><th scope="col">${t('urls')}</th><th scope="col">${t('expressions')}</th><th scope="col">${t('when')}</th><th scope="col">${t('refusedLines')}</th></tr></thead>
<tbody>${report.categories.map((c) => html`<tr><th scope="row">${c.name}${c.missing ? html` <span class="state-failed">(${t('missing')})</span>` : ''}</th><td>${c.domains}</td><td>${c.urls}</td><td>${c.expressions}</td><td>${c.windows.length ? c.windows.join('; ') : t('always')}</td><td>${c.garbage}</td></tr>`)}</tbody>
</table></div>
</section>`;
}

function listsForm(request: AdminPageRequest, lists: Record<ListName, string>): Html {
  const { t } = request;
  return html`<section aria-labelledby="lists"><h2 id="lists">${t('listsHeading')}</h2>
<p class="muted" id="lists-hint">${t('listsHint')}</p>
<form method="post" action="${request.path}">${request.formFields('lists')}
<label for="allow">${t('allowList')}</label><textarea id="allow" name="allow" rows="6" cols="50" aria-describedby="lists-hint" spellcheck="false">${lists.allow}</textarea>
<label for="block">${t('blockList')}</label><textarea id="block" name="block" rows="6" cols="50" aria-describedby="lists-hint" spellcheck="false">${lists.block}</textarea>
<p><button type="submit">${t('saveLists')}</button></p>
</form></section>`;
}

function uploadForm(request: AdminPageRequest): Html {
  const { t } = request;
  return html`<section aria-labelledby="upload"><h2 id="upload">${t('uploadHeading')}</h2>
<form method="post" action="${request.path}" enctype="multipart/form-data">${request.formFields('upload')}
<label for="archive">${t('archiveLabel')}</label><input id="archive" name="archive" type="file" accept=".tar.gz,.tgz">
<p><button type="submit">${t('uploadButton')}</button></p>
</form></section>`;
}

type Key =
  | 'title' | 'filtering' | 'ready' | 'unavailable' | 'compiling' | 'phase.reading' | 'phase.sorting' | 'phase.writing' | 'lastCompile'
  | 'checkHeading' | 'urlLabel' | 'check' | 'blocked' | 'allowed' | 'because' | 'noRule' | 'list.domain' | 'list.url' | 'list.expression'
  | 'categories' | 'noIndex' | 'totals' | 'category' | 'domains' | 'urls' | 'expressions' | 'when' | 'refusedLines' | 'missing' | 'always'
  | 'listsHeading' | 'listsHint' | 'allowList' | 'blockList' | 'saveLists' | 'badLines' | 'line'
  | 'uploadHeading' | 'archiveLabel' | 'uploadButton' | 'noFile';

const WORDS: Catalogues<Key> = {
  en: {
    title: 'Web filter', filtering: 'Filtering', ready: 'The filter is working.', unavailable: 'The filter has no compiled lists yet.',
    compiling: 'Compiling the lists…', 'phase.reading': 'reading', 'phase.sorting': 'sorting', 'phase.writing': 'writing',
    lastCompile: 'Last compiled at {at} in {seconds} s.', checkHeading: 'Check an address', urlLabel: 'Web address', check: 'Check',
    blocked: 'Blocked', allowed: 'Allowed', because: 'Because the {list} list entry “{entry}” is in the category “{category}”.',
    noRule: 'No list names this address.', 'list.domain': 'domain', 'list.url': 'address', 'list.expression': 'pattern',
    categories: 'Categories', noIndex: 'No lists are compiled yet.', totals: '{domains} domains and {urls} addresses in all.',
    category: 'Category', domains: 'Domains', urls: 'Addresses', expressions: 'Patterns', when: 'Blocks', refusedLines: 'Lines refused',
    missing: 'missing from the lists', always: 'always',
    listsHeading: 'The school’s own lists', listsHint: 'One domain (example.org) or domain with a path (example.org/games) per line; lines starting with # are notes. The allow list wins over every category.',
    allowList: 'Always allow', blockList: 'Always block', saveLists: 'Save and compile', badLines: '{count} lines are not a domain or a domain with a path; nothing was saved:',
    line: 'line {line}', uploadHeading: 'Upload category lists', archiveLabel: 'Lists archive (.tar.gz in the squidGuard layout)', uploadButton: 'Upload and compile',
    noFile: 'Choose an archive first.',
  },
  es: {
    title: 'Filtro web', filtering: 'Filtrado', ready: 'El filtro está funcionando.', unavailable: 'El filtro todavía no tiene listas compiladas.',
    compiling: 'Compilando las listas…', 'phase.reading': 'leyendo', 'phase.sorting': 'ordenando', 'phase.writing': 'escribiendo',
    lastCompile: 'Última compilación: {at}, en {seconds} s.', checkHeading: 'Comprobar una dirección', urlLabel: 'Dirección web', check: 'Comprobar',
    blocked: 'Bloqueada', allowed: 'Permitida', because: 'Porque la entrada «{entry}» de la lista de {list} está en la categoría «{category}».',
    noRule: 'Ninguna lista nombra esta dirección.', 'list.domain': 'dominios', 'list.url': 'direcciones', 'list.expression': 'patrones',
    categories: 'Categorías', noIndex: 'Todavía no hay listas compiladas.', totals: '{domains} dominios y {urls} direcciones en total.',
    category: 'Categoría', domains: 'Dominios', urls: 'Direcciones', expressions: 'Patrones', when: 'Bloquea', refusedLines: 'Líneas rechazadas',
    missing: 'no está en las listas', always: 'siempre',
    listsHeading: 'Las listas propias de la escuela', listsHint: 'Un dominio (example.org) o un dominio con ruta (example.org/juegos) por línea; las líneas que empiezan con # son notas. La lista de permitidos gana a todas las categorías.',
    allowList: 'Permitir siempre', blockList: 'Bloquear siempre', saveLists: 'Guardar y compilar', badLines: '{count} líneas no son un dominio ni un dominio con ruta; no se guardó nada:',
    line: 'línea {line}', uploadHeading: 'Subir listas de categorías', archiveLabel: 'Archivo de listas (.tar.gz con la estructura de squidGuard)', uploadButton: 'Subir y compilar',
    noFile: 'Primero elige un archivo.',
  },
  fr: {
    title: 'Filtre web', filtering: 'Filtrage', ready: 'Le filtre fonctionne.', unavailable: 'Le filtre n’a pas encore de listes compilées.',
    compiling: 'Compilation des listes…', 'phase.reading': 'lecture', 'phase.sorting': 'tri', 'phase.writing': 'écriture',
    lastCompile: 'Dernière compilation le {at}, en {seconds} s.', checkHeading: 'Vérifier une adresse', urlLabel: 'Adresse web', check: 'Vérifier',
    blocked: 'Bloquée', allowed: 'Autorisée', because: 'Car l’entrée « {entry} » de la liste des {list} est dans la catégorie « {category} ».',
    noRule: 'Aucune liste ne nomme cette adresse.', 'list.domain': 'domaines', 'list.url': 'adresses', 'list.expression': 'motifs',
    categories: 'Catégories', noIndex: 'Aucune liste n’est encore compilée.', totals: '{domains} domaines et {urls} adresses en tout.',
    category: 'Catégorie', domains: 'Domaines', urls: 'Adresses', expressions: 'Motifs', when: 'Bloque', refusedLines: 'Lignes refusées',
    missing: 'absente des listes', always: 'toujours',
    listsHeading: 'Les listes propres à l’école', listsHint: 'Un domaine (example.org) ou un domaine avec un chemin (example.org/jeux) par ligne ; les lignes commençant par # sont des notes. La liste autorisée l’emporte sur toutes les catégories.',
    allowList: 'Toujours autoriser', blockList: 'Toujours bloquer', saveLists: 'Enregistrer et compiler', badLines: '{count} lignes ne sont ni un domaine ni un domaine avec un chemin ; rien n’a été enregistré :',
    line: 'ligne {line}', uploadHeading: 'Téléverser des listes de catégories', archiveLabel: 'Archive des listes (.tar.gz au format squidGuard)', uploadButton: 'Téléverser et compiler',
    noFile: 'Choisissez d’abord une archive.',
  },
};
