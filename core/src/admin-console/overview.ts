/**
 * The console's overview: the server, every plugin with its state, version
 * and error and a switch (the same drop-in as `sugar-server plugins
 * enable|disable`, then a reload), the addresses it answers on, mDNS, the
 * feeds it takes, and the maintenance switch.
 */
import { isSugarError, ServerErrors } from '../errors.js';
import type { FeedState } from '../feeds/types.js';
import type { Logger } from '../log.js';
import type { Maintenance } from '../maintenance.js';
import type { Paths } from '../paths.js';
import { writePluginSwitch } from '../plugin-switch.js';
import type { StatusDocument } from '../status.js';
import type { ConsoleAddress, CorePages } from './console.js';
import { html, type Html } from './html.js';
import { fill } from './i18n.js';
import { notice } from './layout.js';
import { CORE_WORDS, type CoreWords } from './messages/index.js';
import type { AdminActionRequest, AdminPageRequest, PageDirectory } from './pages.js';

export interface OverviewSource {
  readonly paths: Paths;
  readonly log: Logger;
  readonly maintenance: Maintenance;
  readonly pages: PageDirectory;
  status(): StatusDocument;
  mainUrl(): string;
  console(): ConsoleAddress | null;
  mdns(): { readonly enabled: boolean; readonly name: string };
  /** Apply the configuration on disk; false when it was refused. */
  reload(): Promise<boolean>;
}

export class Overview implements CorePages {
  constructor(private readonly source: OverviewSource) {}

  overview(request: AdminPageRequest, extra?: Html): Html {
    const words = CORE_WORDS[request.language];
    const doc = this.source.status();
    return html`${extra}
${this.server(words, doc)}
${this.plugins(words, doc, request)}
${this.maintenance(words, request)}
${this.listeners(words, doc)}
${this.feeds(words, doc)}`;
  }

  async switchPlugin(request: AdminActionRequest, service: string, on: boolean): Promise<Html | void> {
    const words = CORE_WORDS[request.language];
    try {
      await writePluginSwitch(this.source.paths, service, on);
    } catch (err) {
      if (!ServerErrors.CONFIG.is(err) || !isSugarError(err)) throw err;
      return this.refused(request, words, err.message);
    }
    this.source.log.warn({ account: request.account, service, on }, `admin console: ${service} switched ${on ? 'on' : 'off'} by ${request.account}`);
    if (!(await this.source.reload())) return this.refused(request, words, this.source.status().server.config.lastError ?? '');
    return this.overview(request, notice(fill(on ? words.switchedOn : words.switchedOff, { service })));
  }

  async setMaintenance(request: AdminActionRequest, on: boolean, reason: string | null): Promise<Html | void> {
    const state = await this.source.maintenance.set({ on, reason });
    this.source.log.warn({ account: request.account, maintenance: state }, on ? `maintenance mode on (by ${request.account})` : `maintenance mode off (by ${request.account})`);
  }

  private refused(request: AdminPageRequest, words: CoreWords, problems: string): Html {
    return this.overview(request, html`<div class="notice error" role="alert"><p>${words.switchRefused}</p><pre class="problems">${problems}</pre><p class="code">${words.errorCode}: <code>${ServerErrors.CONFIG.code}</code></p></div>`);
  }

  private server(words: CoreWords, doc: StatusDocument): Html {
    const { server } = doc;
    return html`<section aria-labelledby="server">
<h2 id="server">${words.server}</h2>
<ul class="figures">
<li>${words.version}<strong>${server.version}</strong></li>
<li>${words.state}<strong>${words.states[server.state] ?? server.state}</strong></li>
<li>${words.uptime}<strong>${duration(server.uptime)}</strong></li>
<li>${words.configGeneration}<strong>${fill(words.configGenerationValue, { generation: server.config.generation, loadedAt: server.config.loadedAt.slice(0, 19).replace('T', ' ') })}</strong></li>
</ul>
${server.config.lastError ? html`<div class="notice error" role="alert"><p>${words.reloadRefused}</p><pre class="problems">${server.config.lastError}</pre></div>` : ''}
</section>`;
  }

  private plugins(words: CoreWords, doc: StatusDocument, request: AdminPageRequest): Html {
    const pages = this.source.pages.list();
    return html`<section aria-labelledby="plugins">
<h2 id="plugins">${words.plugins}</h2>
<div class="table-wrap"><table>
<thead><tr><th scope="col">${words.service}</th><th scope="col">${words.packageName}</th><th scope="col">${words.version}</th><th scope="col">${words.state}</th><th scope="col">${words.problem}</th><th scope="col">${words.switch}</th></tr></thead>
<tbody>
${doc.plugins.map((plugin) => {
    const state = plugin.enabled ? plugin.state : 'off';
    const page = plugin.state === 'running' ? pages.find((p) => p.service === plugin.service) : undefined;
    const action = plugin.enabled ? 'plugin-off' : 'plugin-on';
    return html`<tr>
<th scope="row">${page ? html`<a href="${page.path}">${plugin.service}</a>` : plugin.service}</th>
<td>${plugin.package ?? '-'}</td><td>${plugin.version ?? '-'}</td>
<td class="state-${state}">${words.states[state] ?? state}</td>
<td>${plugin.error ? html`${plugin.error.message} <code>${plugin.error.code}</code>` : ''}</td>
<td><form method="post" action="/" class="inline">${request.formFields(action)}<input type="hidden" name="service" value="${plugin.service}"><button type="submit" class="${plugin.enabled ? 'secondary' : ''}">${plugin.enabled ? words.switchOff : words.switchOn}<span class="visually-hidden"> ${plugin.service}</span></button></form></td>
</tr>`;
  })}
</tbody></table></div>
</section>`;
  }

  private maintenance(words: CoreWords, request: AdminPageRequest): Html {
    const state = this.source.maintenance.state();
    return html`<section aria-labelledby="maintenance">
<h2 id="maintenance">${words.maintenance}</h2>
<p>${state.on ? fill(words.maintenanceIsOn, { since: (state.since ?? '').slice(0, 16).replace('T', ' ') }) : words.maintenanceIsOff}${state.reason ? html` (${state.reason})` : ''}</p>
<form method="post" action="/" class="row">${request.formFields(state.on ? 'maintenance-off' : 'maintenance-on')}
${state.on ? '' : html`<div><label for="reason">${words.maintenanceReason}</label><input id="reason" name="reason" maxlength="200"></div>`}
<button type="submit" class="${state.on ? '' : 'danger'}">${state.on ? words.maintenanceSwitchOff : words.maintenanceSwitchOn}</button>
</form>
</section>`;
  }

  private listeners(words: CoreWords, doc: StatusDocument): Html {
    const consoleAddress = this.source.console();
    const mdns = this.source.mdns();
    const rows: [string, string][] = [[words.mainHttp, this.source.mainUrl()]];
    if (consoleAddress) rows.push([words.adminConsole, consoleAddress.url]);
    for (const plugin of doc.plugins) for (const l of plugin.listeners) rows.push([`${plugin.service}: ${l.name}`, `${l.address} ${l.port}`]);
    return html`<section aria-labelledby="listeners">
<h2 id="listeners">${words.listeners}</h2>
<div class="table-wrap"><table>
<thead><tr><th scope="col">${words.listener}</th><th scope="col">${words.address}</th></tr></thead>
<tbody>${rows.map(([what, where]) => html`<tr><td>${what}</td><td><code>${where}</code></td></tr>`)}</tbody>
</table></div>
<p>${words.mdns}: ${mdns.enabled ? fill(words.mdnsOn, { name: mdns.name }) : words.mdnsOff}</p>
</section>`;
  }

  private feeds(words: CoreWords, doc: StatusDocument): Html {
    const configFeed = (doc.feeds as { config?: FeedState | null } | null)?.config;
    const feeds: FeedState[] = [...(configFeed ? [configFeed] : []), ...doc.plugins.flatMap((p) => p.feeds)];
    return html`<section aria-labelledby="feeds">
<h2 id="feeds">${words.feeds}</h2>
${feeds.length === 0 ? html`<p>${words.feedsNone}</p>` : html`<div class="table-wrap"><table>
<thead><tr><th scope="col">${words.feedName}</th><th scope="col">${words.feedUpstream}</th><th scope="col">${words.feedVersion}</th><th scope="col">${words.feedSignature}</th><th scope="col">${words.feedLastError}</th></tr></thead>
<tbody>${feeds.map((feed) => html`<tr><td>${feed.name}</td><td><code>${feed.url}</code></td><td>${feed.version ?? '-'}</td><td>${feed.trust}${feed.signedBy ? ` (${feed.signedBy})` : ''}${feed.expired ? ' !' : ''}</td><td>${feed.lastError ? html`${feed.lastError} <code>${feed.lastErrorCode ?? ''}</code>` : ''}</td></tr>`)}</tbody>
</table></div>`}
</section>`;
  }
}

function duration(seconds: number): string {
  if (seconds < 60) return `${seconds} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)} h ${Math.floor((seconds % 3600) / 60)} min`;
  return `${Math.floor(seconds / 86400)} d ${Math.floor((seconds % 86400) / 3600)} h`;
}
