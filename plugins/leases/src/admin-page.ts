/**
 * The leases' page in the admin console: the report (expiring soon, expired,
 * registered laptops without a lease) with a chart of expiries per week,
 * importing a bundle by upload with the import's report, and the stolen list.
 * It calls the same service the admin API and port 191 use.
 */
import { barChart, html, refusal, type AdminPageRequest, type AdminPageSpec, type Html } from 'sugar-server';
import { LEASES_WORDS } from './admin-messages.js';
import { LeasesErrors } from './errors.js';
import type { ImportReport } from './import-bundle.js';
import { isSerial } from './lease-line.js';
import type { LeasesService } from './leases-service.js';
import type { LeaseReport } from './report.js';

const DAY_MS = 86_400_000;
const CHART_WEEKS = 26;
/** Rows of each list shown; the CLI's report has them all. */
const SHOWN = 50;

export interface LeasesPageOptions {
  readonly warningDays: number;
  readonly uploadLimit: number;
  readonly now: () => number;
}

export function leasesPage(service: LeasesService, options: LeasesPageOptions): AdminPageSpec {
  // The report walks every lease; it is made again when the summary for /status is (leases or the stolen
  // list changed, or a minute passed), so a new registration shows among laptops without a lease within a minute.
  let cached: { summary: object; report: LeaseReport } | undefined;
  const reportNow = (): LeaseReport => {
    const summary = service.summary();
    if (cached?.summary !== summary) cached = { summary, report: service.report(Math.max(options.warningDays, CHART_WEEKS * 7)) };
    return cached.report;
  };
  const render = (request: AdminPageRequest, extra?: Html): Html => {
    const report = reportNow();
    return html`${extra}
${summary(request, report, options.warningDays)}
${chart(request, report, options.now())}
${lists(request, report, options.warningDays)}
${importForm(request)}
${stolen(request, service)}`;
  };
  return {
    route: 'leases',
    title: 'title',
    messages: LEASES_WORDS,
    uploadLimit: options.uploadLimit,
    render: (request) => render(request),
    actions: {
      async import(request) {
        const file = request.files.get('bundle');
        if (!file || file.data.length === 0) return render(request, refusal(request.t('importNoFile')));
        return render(request, importReport(request, await service.import(file.data, 'upload')));
      },
      async 'stolen-add'(request) {
        await service.markStolen(serialOf(request.fields.get('serial')));
      },
      async 'stolen-remove'(request) {
        await service.unmarkStolen(serialOf(request.fields.get('serial')));
      },
    },
  };
}

function serialOf(raw: string | null): string {
  const serial = (raw ?? '').trim().toUpperCase();
  if (!isSerial(serial)) throw LeasesErrors.BAD_SERIAL(raw ?? '');
  return serial;
}

function summary({ t }: AdminPageRequest, report: LeaseReport, warningDays: number): Html {
  const expiring = report.expiringSoon.filter((s) => s.daysLeft <= warningDays).length;
  return html`<section aria-labelledby="summary"><h2 id="summary">${t('summary')}</h2>
<ul class="figures">
<li>${t('serials')}<strong>${report.counts.serials}</strong></li>
<li>${t('leases')}<strong>${report.counts.leases}</strong></li>
<li>${t('expiringCount', { days: warningDays })}<strong>${expiring}</strong></li>
<li>${t('expiredCount')}<strong>${report.expired.length}</strong></li>
<li>${t('stolenCount')}<strong>${report.counts.stolen}</strong></li>
</ul>
${report.verification === 'off' ? html`<p class="muted">${t('verificationOff')}</p>` : ''}
</section>`;
}

function chart({ t }: AdminPageRequest, report: LeaseReport, now: number): Html {
  const weeks = Array.from({ length: CHART_WEEKS }, (_, week) => ({ label: new Date(now + week * 7 * DAY_MS).toISOString().slice(5, 10), value: 0 }));
  for (const serial of report.expiringSoon) {
    const week = Math.floor(serial.daysLeft / 7);
    if (week < CHART_WEEKS) weeks[week]!.value++;
  }
  return html`<section aria-labelledby="chart"><h2 id="chart">${t('chartHeading')}</h2>
${barChart({ title: t('chartTitle', { weeks: CHART_WEEKS }), bars: weeks })}
</section>`;
}

function lists(request: AdminPageRequest, report: LeaseReport, warningDays: number): Html {
  const { t } = request;
  const expiring = report.expiringSoon.filter((s) => s.daysLeft <= warningDays);
  const more = (count: number) => (count > SHOWN ? html`<p class="muted">${t('more', { count: count - SHOWN })}</p>` : '');
  return html`<section aria-labelledby="expiring"><h2 id="expiring">${t('expiringHeading')}</h2>
${expiring.length === 0 ? html`<p>${t('expiringNone', { days: warningDays })}</p>` : html`<div class="table-wrap"><table>
<thead><tr><th scope="col">${t('serial')}</th><th scope="col">${t('expires')}</th><th scope="col">${t('daysLeft')}</th></tr></thead>
<tbody>${expiring.slice(0, SHOWN).map((s) => html`<tr><th scope="row"><code>${s.serial}</code></th><td>${s.expires.slice(0, 10)}</td><td>${s.daysLeft}</td></tr>`)}</tbody></table></div>${more(expiring.length)}`}
</section>
<section aria-labelledby="expired"><h2 id="expired">${t('expiredHeading')}</h2>
${report.expired.length === 0 ? html`<p>${t('expiredNone')}</p>` : html`<div class="table-wrap"><table>
<thead><tr><th scope="col">${t('serial')}</th><th scope="col">${t('expires')}</th><th scope="col">${t('daysAgo')}</th></tr></thead>
<tbody>${report.expired.slice(0, SHOWN).map((s) => html`<tr><th scope="row"><code>${s.serial}</code></th><td>${s.expires.slice(0, 10)}</td><td>${s.daysAgo}</td></tr>`)}</tbody></table></div>${more(report.expired.length)}`}
</section>
<section aria-labelledby="without"><h2 id="without">${t('withoutHeading')}</h2>
${!report.registered ? html`<p>${t('registryOff')}</p>` : report.registered.withoutLease.length === 0 ? html`<p>${t('withoutNone')}</p>` : html`<div class="table-wrap"><table>
<thead><tr><th scope="col">${t('serial')}</th><th scope="col">${t('nick')}</th></tr></thead>
<tbody>${report.registered.withoutLease.slice(0, SHOWN).map((s) => html`<tr><th scope="row"><code>${s.serial}</code></th><td>${s.nick}</td></tr>`)}</tbody></table></div>${more(report.registered.withoutLease.length)}`}
</section>`;
}

function importForm(request: AdminPageRequest): Html {
  const { t } = request;
  return html`<section aria-labelledby="import"><h2 id="import">${t('importHeading')}</h2>
<form method="post" action="${request.path}" enctype="multipart/form-data">${request.formFields('import')}
<label for="bundle">${t('importLabel')}</label>
<input id="bundle" name="bundle" type="file" aria-describedby="bundle-hint">
<p id="bundle-hint" class="muted">${t('importHint')}</p>
<button type="submit">${t('importButton')}</button>
</form></section>`;
}

function importReport({ t }: AdminPageRequest, report: ImportReport): Html {
  return html`<div class="notice ${report.refused.length ? 'error' : 'ok'}" role="status">
<p>${t('importDone', { leases: report.leases, serials: report.serials })}</p>
${report.refused.length ? html`<p>${t('importRefused', { count: report.refused.length })}</p>
<div class="table-wrap"><table><thead><tr><th scope="col">${t('serial')}</th><th scope="col">${t('reason')}</th></tr></thead>
<tbody>${report.refused.slice(0, SHOWN).map((p) => html`<tr><td>${p.serial ?? '-'}</td><td>${p.reason} <code>${p.code}</code></td></tr>`)}</tbody></table></div>` : ''}
</div>`;
}

function stolen(request: AdminPageRequest, service: LeasesService): Html {
  const { t } = request;
  const entries = service.stolen();
  return html`<section aria-labelledby="stolen"><h2 id="stolen">${t('stolenHeading')}</h2>
<form method="post" action="${request.path}" class="row">${request.formFields('stolen-add')}
<div><label for="stolen-serial">${t('stolenAddLabel')}</label><input id="stolen-serial" name="serial" required pattern="[A-Za-z]{3}[0-9A-Fa-f]{8}" autocapitalize="characters"></div>
<button type="submit" class="danger">${t('stolenAdd')}</button>
</form>
${entries.length === 0 ? html`<p>${t('stolenNone')}</p>` : html`<div class="table-wrap"><table>
<thead><tr><th scope="col">${t('serial')}</th><th scope="col">${t('since')}</th><th scope="col">${t('sources')}</th><th scope="col"><span class="muted">${t('stolenRemove')}</span></th></tr></thead>
<tbody>${entries.map((entry) => html`<tr><th scope="row"><code>${entry.serial}</code></th><td>${entry.since.slice(0, 10)}</td><td>${entry.sources.map((s) => t(`source.${s}`)).join(', ')}</td>
<td>${entry.sources.includes('local') ? html`<form method="post" action="${request.path}" class="inline">${request.formFields('stolen-remove')}<input type="hidden" name="serial" value="${entry.serial}"><button type="submit" class="secondary">${t('stolenRemove')}<span class="visually-hidden"> ${entry.serial}</span></button></form>` : ''}</td></tr>`)}</tbody></table></div>`}
</section>`;
}
