/**
 * The activities' page in the admin console: the library with icons and
 * versions, the files it refused and why, uploading an `.xo` (checked as
 * the JSON API checks it), and removing a version.
 */
import { rm, writeFile } from 'node:fs/promises';
import { html, refusal, type AdminPageRequest, type AdminPageSpec, type Catalogues, type Html } from 'sugar-server';
import type { BundleLimits } from './bundle-checks.js';
import { inspectBundle } from './bundle-inspector.js';
import type { BundleRecord } from './bundle-record.js';
import type { Library } from './library.js';

const SHOWN = 100;

export interface ActivitiesPageOptions {
  readonly uploadLimit: number;
  readonly limits: BundleLimits;
}

export function activitiesPage(library: Library, options: ActivitiesPageOptions): AdminPageSpec {
  const render = (request: AdminPageRequest, extra?: Html): Html => html`${extra}${uploadForm(request)}${bundles(request, library)}${problems(request, library)}`;
  return {
    route: 'activities',
    title: 'title',
    messages: WORDS,
    uploadLimit: options.uploadLimit,
    render: (request) => render(request),
    actions: {
      async upload(request) {
        const file = request.files.get('bundle');
        if (!file || file.data.length === 0) return render(request, refusal(request.t('noFile')));
        const temp = library.tempPath();
        try {
          await writeFile(temp, file.data);
          const result = await library.add(temp, await inspectBundle(temp, options.limits), request.fields.get('replace') === 'on');
          const { name, version } = result.bundle;
          return render(request, html`<div class="notice ok" role="status"><p>${request.t('added', { name, version })}</p></div>`);
        } finally {
          await rm(temp, { force: true });
        }
      },
      async remove(request) {
        await library.remove(request.fields.get('id') ?? '', request.fields.get('version') ?? '');
      },
    },
  };
}

function uploadForm(request: AdminPageRequest): Html {
  const { t } = request;
  return html`<section aria-labelledby="upload"><h2 id="upload">${t('uploadHeading')}</h2>
<form method="post" action="${request.path}" enctype="multipart/form-data">${request.formFields('upload')}
<label for="bundle">${t('fileLabel')}</label>
<input id="bundle" name="bundle" type="file" accept=".xo">
<p><input id="replace" name="replace" type="checkbox"> <label for="replace" class="inline-label">${t('replace')}</label></p>
<button type="submit">${t('uploadButton')}</button>
</form></section>`;
}

function bundles(request: AdminPageRequest, library: Library): Html {
  const { t } = request;
  const index = library.index();
  const newest = index.newestOfEach().sort((a, b) => a.name.localeCompare(b.name));
  const remove = request.formFields('remove');
  return html`<section aria-labelledby="library"><h2 id="library">${t('libraryHeading', { count: newest.length })}</h2>
${newest.length === 0 ? html`<p>${t('empty')}</p>` : html`<div class="table-wrap"><table>
<thead><tr><th scope="col"><span class="visually-hidden">${t('icon')}</span></th><th scope="col">${t('name')}</th><th scope="col">${t('versions')}</th><th scope="col">${t('size')}</th></tr></thead>
<tbody>${newest.slice(0, SHOWN).map((record) => html`<tr>
<td>${icon(record)}</td>
<th scope="row">${record.name}<br><code class="muted">${record.id}</code></th>
<td><ul class="versions">${index.versionsOf(record.id).map((version) => html`<li>${version.version} <form method="post" action="${request.path}" class="inline">${remove}<input type="hidden" name="id" value="${version.id}"><input type="hidden" name="version" value="${version.version}"><button type="submit" class="secondary">${t('remove')}<span class="visually-hidden"> ${version.name} ${version.version}</span></button></form></li>`)}</ul></td>
<td>${Math.ceil(record.size / 1024)} KiB</td>
</tr>`)}</tbody></table></div>
${newest.length > SHOWN ? html`<p class="muted">${t('more', { count: newest.length - SHOWN })}</p>` : ''}`}
</section>`;
}

/** The icon inline as an image: an SVG shown through `<img>` runs no script. */
function icon(record: BundleRecord): Html | string {
  if (record.iconSvg === null) return '';
  return html`<img src="data:image/svg+xml;base64,${Buffer.from(record.iconSvg).toString('base64')}" alt="" width="32" height="32">`;
}

function problems(request: AdminPageRequest, library: Library): Html {
  const { t } = request;
  const found = library.index().problems;
  return html`<section aria-labelledby="problems"><h2 id="problems">${t('problemsHeading')}</h2>
${found.length === 0 ? html`<p>${t('noProblems')}</p>` : html`<div class="table-wrap"><table>
<thead><tr><th scope="col">${t('file')}</th><th scope="col">${t('why')}</th></tr></thead>
<tbody>${found.slice(0, SHOWN).map((p) => html`<tr><th scope="row">${p.file}</th><td>${p.reason} <code>${p.code}</code></td></tr>`)}</tbody></table></div>`}
</section>`;
}

type Key =
  | 'title' | 'uploadHeading' | 'fileLabel' | 'replace' | 'uploadButton' | 'noFile' | 'added' | 'libraryHeading' | 'empty'
  | 'icon' | 'name' | 'versions' | 'size' | 'remove' | 'more' | 'problemsHeading' | 'noProblems' | 'file' | 'why';

const WORDS: Catalogues<Key> = {
  en: {
    title: 'Activities', uploadHeading: 'Add an activity', fileLabel: 'Activity bundle (.xo)', replace: 'Replace the versions already here',
    uploadButton: 'Add', noFile: 'Choose an .xo file first.', added: '{name} {version} was added; laptops see it at their next update check.',
    libraryHeading: 'Library ({count} activities)', empty: 'The library is empty.', icon: 'Icon', name: 'Activity', versions: 'Versions',
    size: 'Size', remove: 'Remove', more: 'and {count} more', problemsHeading: 'Files that were not taken', noProblems: 'Every file in the library folder was taken.',
    file: 'File', why: 'Why',
  },
  es: {
    title: 'Actividades', uploadHeading: 'Agregar una actividad', fileLabel: 'Paquete de actividad (.xo)', replace: 'Reemplazar las versiones que ya están',
    uploadButton: 'Agregar', noFile: 'Primero elige un archivo .xo.', added: 'Se agregó {name} {version}; los portátiles la verán en su próxima búsqueda de actualizaciones.',
    libraryHeading: 'Biblioteca ({count} actividades)', empty: 'La biblioteca está vacía.', icon: 'Ícono', name: 'Actividad', versions: 'Versiones',
    size: 'Tamaño', remove: 'Quitar', more: 'y {count} más', problemsHeading: 'Archivos no aceptados', noProblems: 'Se aceptaron todos los archivos de la carpeta.',
    file: 'Archivo', why: 'Por qué',
  },
  fr: {
    title: 'Activités', uploadHeading: 'Ajouter une activité', fileLabel: 'Paquet d’activité (.xo)', replace: 'Remplacer les versions déjà présentes',
    uploadButton: 'Ajouter', noFile: 'Choisissez d’abord un fichier .xo.', added: '{name} {version} a été ajoutée ; les ordinateurs la verront à leur prochaine recherche de mises à jour.',
    libraryHeading: 'Bibliothèque ({count} activités)', empty: 'La bibliothèque est vide.', icon: 'Icône', name: 'Activité', versions: 'Versions',
    size: 'Taille', remove: 'Retirer', more: 'et {count} de plus', problemsHeading: 'Fichiers refusés', noProblems: 'Tous les fichiers du dossier ont été acceptés.',
    file: 'Fichier', why: 'Pourquoi',
  },
};
