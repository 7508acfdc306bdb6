/**
 * The fleet's page, on a server schools check in with (the Mothership, a
 * district): how each feed propagates (who holds the latest, the lag), the
 * silent schools, and every school with its state.
 */
import type { Propagation, SchoolRow } from '../fleet/index.js';
import { barChart } from './charts.js';
import { html, type Html } from './html.js';
import type { Catalogues } from './i18n.js';
import type { AdminPageRequest, AdminPageSpec } from './pages.js';

const SHOWN = 200;

export function fleetPage(view: () => Promise<{ propagation: Propagation; schools: SchoolRow[] } | null>): AdminPageSpec {
  return {
    route: 'schools',
    title: 'title',
    messages: WORDS,
    async render(request) {
      const found = await view();
      if (!found) return html`<p>${request.t('none')}</p>`;
      return html`${propagation(request, found.propagation)}${schools(request, found.schools)}`;
    },
  };
}

function propagation(request: AdminPageRequest, report: Propagation): Html {
  const { t } = request;
  const states = (['current', 'behind', 'failing', 'silent', 'never'] as const).map((state) => ({ label: t(`state.${state}`), value: report.schools[state] }));
  return html`<section aria-labelledby="propagation"><h2 id="propagation">${t('propagation')}</h2>
<ul class="figures"><li>${t('schools')}<strong>${report.schools.total}</strong></li>${states.map((s) => html`<li>${s.label}<strong>${s.value}</strong></li>`)}</ul>
${barChart({ title: t('chartTitle'), bars: states, height: 180, width: 480 })}
${report.feeds.length === 0 ? '' : html`<div class="table-wrap"><table>
<thead><tr><th scope="col">${t('feed')}</th><th scope="col">${t('latest')}</th><th scope="col">${t('holding')}</th><th scope="col">${t('lag')}</th></tr></thead>
<tbody>${report.feeds.map((f) => html`<tr><th scope="row">${f.name}</th><td>${f.latest.version} (${f.latest.published.slice(0, 16).replace('T', ' ')})</td><td>${f.current} / ${f.schools}</td><td>${f.lagSeconds.p50 === null ? '-' : t('lagValue', { p50: minutes(f.lagSeconds.p50), p90: minutes(f.lagSeconds.p90 ?? 0) })}</td></tr>`)}</tbody></table></div>`}
${report.silent.length ? html`<h3>${t('silent')}</h3><ul>${report.silent.slice(0, SHOWN).map((s) => html`<li>${s.name} <span class="muted">(${s.lastCheckin ? s.lastCheckin.slice(0, 16).replace('T', ' ') : t('state.never')})</span></li>`)}</ul>` : ''}
</section>`;
}

function schools(request: AdminPageRequest, rows: readonly SchoolRow[]): Html {
  const { t } = request;
  return html`<section aria-labelledby="schools"><h2 id="schools">${t('schools')}</h2>
<div class="table-wrap"><table>
<thead><tr><th scope="col">${t('name')}</th><th scope="col">${t('group')}</th><th scope="col">${t('state')}</th><th scope="col">${t('lastCheckin')}</th><th scope="col">${t('version')}</th></tr></thead>
<tbody>${rows.slice(0, SHOWN).map((s) => html`<tr><th scope="row">${s.name}</th><td>${s.group ?? ''}</td><td class="${s.state === 'current' ? 'state-running' : s.state === 'failing' || s.state === 'silent' ? 'state-failed' : ''}">${t(`state.${s.state}`)}</td><td>${s.lastCheckin ? s.lastCheckin.slice(0, 16).replace('T', ' ') : '-'}</td><td>${s.version ?? '-'}</td></tr>`)}</tbody>
</table></div>
${rows.length > SHOWN ? html`<p class="muted">${t('more', { count: rows.length - SHOWN })}</p>` : ''}
</section>`;
}

function minutes(seconds: number): string {
  return seconds < 120 ? `${Math.round(seconds)} s` : `${Math.round(seconds / 60)} min`;
}

type Key =
  | 'title' | 'none' | 'propagation' | 'schools' | 'chartTitle' | 'feed' | 'latest' | 'holding' | 'lag' | 'lagValue' | 'silent'
  | 'name' | 'group' | 'state' | 'lastCheckin' | 'version' | 'more'
  | 'state.current' | 'state.behind' | 'state.failing' | 'state.silent' | 'state.never';

const WORDS: Catalogues<Key> = {
  en: {
    title: 'Schools', none: 'No school checks in with this server yet.', propagation: 'How the feeds reach the schools', schools: 'Schools',
    chartTitle: 'Schools by state', feed: 'Feed', latest: 'Latest version', holding: 'Schools holding it', lag: 'Time to arrive (median, 90%)',
    lagValue: '{p50}, {p90}', silent: 'Silent schools', name: 'School', group: 'Group', state: 'State', lastCheckin: 'Last check-in', version: 'Server version',
    more: 'and {count} more (see sugar-server fleet schools)',
    'state.current': 'up to date', 'state.behind': 'behind', 'state.failing': 'failing', 'state.silent': 'silent', 'state.never': 'never checked in',
  },
  es: {
    title: 'Escuelas', none: 'Todavía ninguna escuela informa a este servidor.', propagation: 'Cómo llegan los datos a las escuelas', schools: 'Escuelas',
    chartTitle: 'Escuelas por estado', feed: 'Datos', latest: 'Última versión', holding: 'Escuelas que la tienen', lag: 'Tiempo de llegada (mediana, 90 %)',
    lagValue: '{p50}, {p90}', silent: 'Escuelas en silencio', name: 'Escuela', group: 'Grupo', state: 'Estado', lastCheckin: 'Último informe', version: 'Versión del servidor',
    more: 'y {count} más (ver sugar-server fleet schools)',
    'state.current': 'al día', 'state.behind': 'atrasada', 'state.failing': 'con fallos', 'state.silent': 'en silencio', 'state.never': 'nunca informó',
  },
  fr: {
    title: 'Écoles', none: 'Aucune école ne rend encore compte à ce serveur.', propagation: 'Comment les données arrivent aux écoles', schools: 'Écoles',
    chartTitle: 'Écoles par état', feed: 'Données', latest: 'Dernière version', holding: 'Écoles qui l’ont', lag: 'Délai d’arrivée (médiane, 90 %)',
    lagValue: '{p50}, {p90}', silent: 'Écoles silencieuses', name: 'École', group: 'Groupe', state: 'État', lastCheckin: 'Dernier compte rendu', version: 'Version du serveur',
    more: 'et {count} de plus (voir sugar-server fleet schools)',
    'state.current': 'à jour', 'state.behind': 'en retard', 'state.failing': 'en échec', 'state.silent': 'silencieuse', 'state.never': 'jamais de compte rendu',
  },
};
