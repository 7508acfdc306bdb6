/**
 * The backup's page in the admin console: the volume and its quota, laptops
 * overdue, every laptop's last backup and quota use (from the store, so the
 * list stays quick with thousands of laptops), a chart of last backups per
 * day; per laptop its snapshots with sizes, a snapshot's Journal entries by
 * title and date, an entry downloaded as a Journal Entry Bundle, and a
 * whole snapshot as tar.
 */
import { barChart, html, type AdminPageRequest, type AdminPageSpec, type Catalogues, type Html, type Logger } from 'sugar-server';
import type { LaptopRegistry } from 'sugar-server-registry';
import { isSerial } from 'sugar-server-registry';
import type { BackupService } from './backup-service.js';
import { entryBundle, ENTRY_BUNDLE_TYPE } from './entry-bundle.js';
import { BackupErrors } from './errors.js';
import { isEntryUid, listEntries, readEntry } from './journal-entries.js';
import { isSnapshotName } from './laptop-folder.js';
import { snapshotArchive } from './snapshot-archive.js';
import type { VolumePruner } from './volume-pruner.js';

const DAY_MS = 86_400_000;
const CHART_DAYS = 14;
const SHOWN = 100;

export interface BackupPageDeps {
  readonly service: BackupService;
  readonly volume: VolumePruner;
  registry(): LaptopRegistry | null;
  /** `[backup] stale_after`. */
  readonly staleMs: number;
  /** `[backup] quota` per laptop (0: none). */
  readonly quota: number;
  now(): number;
  readonly log: Logger;
}

export function backupPage(deps: BackupPageDeps): AdminPageSpec {
  return {
    route: 'backups',
    title: 'title',
    messages: WORDS,
    async render(request) {
      const serial = request.query.get('serial');
      if (serial === null) return laptops(request, deps);
      if (!isSerial(serial)) throw BackupErrors.BAD_SERIAL(serial);
      if (request.query.get('archive') !== null) {
        const { name, path } = await deps.service.snapshotPath(serial, snapshotOf(serial, request.query.get('snapshot')));
        const archive = snapshotArchive(path, deps.log);
        // Koa destroys the body when the browser goes away: tar stops then too.
        archive.stream.once('close', archive.stop);
        return { download: { name: `${serial}-${name}.tar`.replace(/[^A-Za-z0-9._-]/g, '-'), type: 'application/x-tar', data: archive.stream } };
      }
      const entry = request.query.get('entry');
      if (entry !== null) {
        const { name, path } = await deps.service.snapshotPath(serial, snapshotOf(serial, request.query.get('snapshot')));
        const parts = isEntryUid(entry) ? await readEntry(path, entry) : null;
        if (!parts) throw BackupErrors.NO_ENTRY(name, entry);
        return { download: { name: `${entry}.xoj`, type: ENTRY_BUNDLE_TYPE, data: entryBundle(parts) } };
      }
      return laptop(request, deps, serial);
    },
  };
}

function snapshotOf(serial: string, raw: string | null): string {
  const name = raw ?? 'latest';
  if (name !== 'latest' && !isSnapshotName(name)) throw BackupErrors.NO_SNAPSHOT(serial, name);
  return name;
}

async function laptops(request: AdminPageRequest, deps: BackupPageDeps): Promise<Html> {
  const { t } = request;
  const now = deps.now();
  const known = new Map((deps.registry()?.list() ?? []).map((l) => [l.serial, l.nick]));
  const serials = [...new Set([...known.keys(), ...(await deps.service.serialsWithBackups())])].sort();
  const rows = serials.map((serial) => {
    const record = deps.service.record(serial);
    const last = record.lastBackup === null ? null : Date.parse(record.lastBackup);
    return { serial, nick: known.get(serial) ?? null, last, usage: record.usage, snapshots: Object.keys(record.snapshots).length, overdue: last === null || now - last >= deps.staleMs };
  });
  const overdue = rows.filter((r) => r.overdue);
  const days = Array.from({ length: CHART_DAYS }, (_, i) => ({ label: new Date(now - (CHART_DAYS - 1 - i) * DAY_MS).toISOString().slice(5, 10), value: 0 }));
  for (const row of rows) {
    if (row.last === null) continue;
    const ago = Math.floor((now - row.last) / DAY_MS);
    if (ago >= 0 && ago < CHART_DAYS) days[CHART_DAYS - 1 - ago]!.value++;
  }
  const volume = deps.volume.report();
  const shown = [...overdue, ...rows.filter((r) => !r.overdue)].slice(0, SHOWN);
  return html`<section aria-labelledby="volume"><h2 id="volume">${t('volume')}</h2>
<ul class="figures">
<li>${t('laptops')}<strong>${rows.length}</strong></li>
<li>${t('overdue', { days: Math.round(deps.staleMs / DAY_MS) })}<strong>${overdue.length}</strong></li>
<li>${t('used')}<strong>${size(volume.used)}</strong></li>
<li>${t('volumeQuota')}<strong>${volume.quota ? size(volume.quota) : t('none')}</strong></li>
</ul>
${volume.overQuota ? html`<p class="notice error" role="alert">${t('overQuota')}</p>` : ''}
</section>
<section aria-labelledby="per-day"><h2 id="per-day">${t('chartHeading')}</h2>
${barChart({ title: t('chartTitle', { days: CHART_DAYS }), bars: days })}
</section>
<section aria-labelledby="list"><h2 id="list">${t('listHeading')}</h2>
${rows.length === 0 ? html`<p>${t('noLaptops')}</p>` : html`<div class="table-wrap"><table>
<thead><tr><th scope="col">${t('serial')}</th><th scope="col">${t('nick')}</th><th scope="col">${t('lastBackup')}</th><th scope="col">${t('snapshots')}</th><th scope="col">${t('usage')}</th></tr></thead>
<tbody>${shown.map((r) => html`<tr><th scope="row"><a href="${request.path}?serial=${r.serial}">${r.serial}</a></th><td>${r.nick ?? ''}</td>
<td${r.overdue ? html` class="state-failed"` : ''}>${r.last === null ? t('never') : new Date(r.last).toISOString().slice(0, 16).replace('T', ' ')}${r.overdue ? ` (${t('late')})` : ''}</td>
<td>${r.snapshots}</td><td>${size(r.usage)}${deps.quota ? ` / ${size(deps.quota)} (${Math.round((100 * r.usage) / deps.quota)}%)` : ''}</td></tr>`)}</tbody></table></div>
${rows.length > SHOWN ? html`<p class="muted">${t('more', { count: rows.length - SHOWN })}</p>` : ''}`}
</section>`;
}

async function laptop(request: AdminPageRequest, deps: BackupPageDeps, serial: string): Promise<Html> {
  const { t } = request;
  const snapshots = await deps.service.snapshots(serial);
  const nick = deps.registry()?.get(serial)?.nick ?? null;
  if (snapshots.length === 0 && nick === null) throw BackupErrors.UNKNOWN_LAPTOP(serial);
  const chosen = snapshots.find((s) => s.name === request.query.get('snapshot')) ?? snapshots.find((s) => s.latest) ?? snapshots.at(-1);
  const entries = chosen ? await listEntries((await deps.service.snapshotPath(serial, chosen.name)).path) : [];
  const link = (extra: string) => `${request.path}?serial=${serial}${extra}`;
  return html`<p><a href="${request.path}">${t('back')}</a></p>
<section aria-labelledby="laptop"><h2 id="laptop">${serial}${nick ? ` · ${nick}` : ''}</h2>
<ul class="figures"><li>${t('usage')}<strong>${size(deps.service.usage(serial))}${deps.quota ? ` / ${size(deps.quota)}` : ''}</strong></li><li>${t('snapshots')}<strong>${snapshots.length}</strong></li></ul>
${snapshots.length === 0 ? html`<p>${t('noSnapshots')}</p>` : html`<div class="table-wrap"><table>
<thead><tr><th scope="col">${t('snapshot')}</th><th scope="col">${t('size')}</th><th scope="col">${t('files')}</th><th scope="col">${t('entries')}</th><th scope="col"><span class="visually-hidden">${t('download')}</span></th></tr></thead>
<tbody>${[...snapshots].reverse().map((s) => html`<tr><th scope="row"><a href="${link(`&snapshot=${encodeURIComponent(s.name)}`)}"${s === chosen ? html` aria-current="true"` : ''}>${s.time.slice(0, 16).replace('T', ' ')}</a>${s.latest ? ` (${t('latest')})` : ''}</th>
<td>${s.bytes === null ? '-' : size(s.bytes)}</td><td>${s.files ?? '-'}</td><td>${s.entries ?? '-'}</td>
<td><a href="${link(`&snapshot=${encodeURIComponent(s.name)}&archive`)}" download>${t('downloadSnapshot')}<span class="visually-hidden"> ${s.time.slice(0, 16).replace('T', ' ')}</span></a></td></tr>`)}</tbody></table></div>`}
</section>
${chosen ? html`<section aria-labelledby="entries"><h2 id="entries">${t('entriesHeading', { time: chosen.time.slice(0, 16).replace('T', ' ') })}</h2>
${entries.length === 0 ? html`<p>${t('noEntries')}</p>` : html`<div class="table-wrap"><table>
<thead><tr><th scope="col">${t('entryTitle')}</th><th scope="col">${t('date')}</th><th scope="col">${t('activity')}</th><th scope="col">${t('size')}</th><th scope="col"><span class="visually-hidden">${t('download')}</span></th></tr></thead>
<tbody>${entries.slice(0, SHOWN).map((e) => html`<tr><th scope="row">${e.title ?? t('untitled')}</th><td>${(e.mtime ?? '').slice(0, 16).replace('T', ' ')}</td><td>${e.activity ?? ''}</td><td>${size(e.bytes)}</td>
<td><a href="${link(`&snapshot=${encodeURIComponent(chosen.name)}&entry=${e.uid}`)}" download>${t('download')}<span class="visually-hidden"> ${e.title ?? e.uid}</span></a></td></tr>`)}</tbody></table></div>`}
</section>` : ''}`;
}

function size(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

type Key =
  | 'title' | 'volume' | 'laptops' | 'overdue' | 'used' | 'volumeQuota' | 'none' | 'overQuota' | 'chartHeading' | 'chartTitle'
  | 'listHeading' | 'noLaptops' | 'serial' | 'nick' | 'lastBackup' | 'snapshots' | 'usage' | 'never' | 'late' | 'more'
  | 'back' | 'noSnapshots' | 'snapshot' | 'size' | 'files' | 'entries' | 'latest' | 'entriesHeading' | 'noEntries'
  | 'entryTitle' | 'date' | 'activity' | 'download' | 'downloadSnapshot' | 'untitled';

const WORDS: Catalogues<Key> = {
  en: {
    title: 'Backups', volume: 'Backup volume', laptops: 'Laptops', overdue: 'No backup for {days} days', used: 'Space used',
    volumeQuota: 'Volume quota', none: 'none', overQuota: 'The volume is over its quota and no more old snapshots can be removed.',
    chartHeading: 'Last backups per day', chartTitle: 'Laptops whose last backup was on each of the last {days} days',
    listHeading: 'Laptops (late ones first)', noLaptops: 'No laptop is registered or backed up yet.', serial: 'Serial', nick: 'Name',
    lastBackup: 'Last backup', snapshots: 'Snapshots', usage: 'Space used', never: 'never', late: 'late', more: 'and {count} more',
    back: 'All laptops', noSnapshots: 'This laptop has not backed up yet.', snapshot: 'Snapshot', size: 'Size', files: 'Files',
    entries: 'Journal entries', latest: 'latest', entriesHeading: 'Journal entries of {time}', noEntries: 'This snapshot holds no Journal entries.',
    entryTitle: 'Title', date: 'Date', activity: 'Activity', download: 'Download', downloadSnapshot: 'Download (tar)', untitled: '(untitled)',
  },
  es: {
    title: 'Copias de seguridad', volume: 'Disco de copias', laptops: 'Portátiles', overdue: 'Sin copia desde hace {days} días', used: 'Espacio usado',
    volumeQuota: 'Cuota del disco', none: 'ninguna', overQuota: 'El disco supera su cuota y ya no se pueden quitar más copias antiguas.',
    chartHeading: 'Últimas copias por día', chartTitle: 'Portátiles cuya última copia fue en cada uno de los últimos {days} días',
    listHeading: 'Portátiles (primero los atrasados)', noLaptops: 'Todavía no hay portátiles registrados ni copias.', serial: 'Número de serie', nick: 'Nombre',
    lastBackup: 'Última copia', snapshots: 'Copias', usage: 'Espacio usado', never: 'nunca', late: 'atrasado', more: 'y {count} más',
    back: 'Todos los portátiles', noSnapshots: 'Este portátil todavía no hizo copias.', snapshot: 'Copia', size: 'Tamaño', files: 'Archivos',
    entries: 'Entradas del Diario', latest: 'la última', entriesHeading: 'Entradas del Diario del {time}', noEntries: 'Esta copia no tiene entradas del Diario.',
    entryTitle: 'Título', date: 'Fecha', activity: 'Actividad', download: 'Descargar', downloadSnapshot: 'Descargar (tar)', untitled: '(sin título)',
  },
  fr: {
    title: 'Sauvegardes', volume: 'Disque des sauvegardes', laptops: 'Ordinateurs', overdue: 'Sans sauvegarde depuis {days} jours', used: 'Espace utilisé',
    volumeQuota: 'Quota du disque', none: 'aucun', overQuota: 'Le disque dépasse son quota et aucune ancienne sauvegarde ne peut plus être retirée.',
    chartHeading: 'Dernières sauvegardes par jour', chartTitle: 'Ordinateurs dont la dernière sauvegarde date de chacun des {days} derniers jours',
    listHeading: 'Ordinateurs (en retard d’abord)', noLaptops: 'Aucun ordinateur n’est encore enregistré ni sauvegardé.', serial: 'Numéro de série', nick: 'Nom',
    lastBackup: 'Dernière sauvegarde', snapshots: 'Sauvegardes', usage: 'Espace utilisé', never: 'jamais', late: 'en retard', more: 'et {count} de plus',
    back: 'Tous les ordinateurs', noSnapshots: 'Cet ordinateur n’a pas encore été sauvegardé.', snapshot: 'Sauvegarde', size: 'Taille', files: 'Fichiers',
    entries: 'Entrées du Journal', latest: 'la dernière', entriesHeading: 'Entrées du Journal du {time}', noEntries: 'Cette sauvegarde ne contient aucune entrée du Journal.',
    entryTitle: 'Titre', date: 'Date', activity: 'Activité', download: 'Télécharger', downloadSnapshot: 'Télécharger (tar)', untitled: '(sans titre)',
  },
};
