/**
 * The fleet protocol as a school server speaks it to its upstream: an invite
 * (admin), the enrolment that trades it for a credential, and check-ins.
 */
import { SugaroidErrors } from '../errors.js';
import { requestText, serverErrorDetail, serverUrl, type RequestOptions } from './http.js';

export interface SchoolCredential {
  readonly serverId: string;
  readonly secret: string;
  readonly name: string;
}

/** A published feed as a school would find it: its latest version and when it was made. */
export interface PublishedFeed {
  readonly name: string;
  readonly version: number;
  readonly generated: string;
}

async function postJson(server: string, path: string, body: unknown, headers: Record<string, string>, options: RequestOptions): Promise<unknown> {
  const url = serverUrl(server, path);
  const answer = await requestText(url, { method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body), headers: { 'Content-Type': 'application/json', ...headers } }, options);
  if (answer.status < 200 || answer.status > 299) throw SugaroidErrors.HTTP('POST', url.href, answer.status, serverErrorDetail(answer.body));
  try {
    return JSON.parse(answer.body) as unknown;
  } catch {
    throw SugaroidErrors.BAD_ANSWER(url.href, 'not JSON');
  }
}

/** `POST /fleet/v1/invites` with the upstream's admin token: a single-use enrolment token. */
export async function inviteSchool(server: string, adminToken: string, name: string, group: string | null, options: RequestOptions = {}): Promise<string> {
  const answer = (await postJson(server, 'fleet/v1/invites', { name, group }, { Authorization: `Bearer ${adminToken}` }, options)) as { token?: unknown };
  if (typeof answer.token !== 'string') throw SugaroidErrors.BAD_ANSWER(serverUrl(server, 'fleet/v1/invites').href, 'no token');
  return answer.token;
}

/** `POST /fleet/v1/enrol`: the token traded for this server id's credential. */
export async function enrolSchool(server: string, token: string, serverId: string, options: RequestOptions = {}): Promise<SchoolCredential> {
  const answer = (await postJson(server, 'fleet/v1/enrol', { token, serverId }, {}, options)) as { secret?: unknown; name?: unknown };
  if (typeof answer.secret !== 'string' || typeof answer.name !== 'string') throw SugaroidErrors.BAD_ANSWER(serverUrl(server, 'fleet/v1/enrol').href, 'no credential');
  return { serverId, secret: answer.secret, name: answer.name };
}

/** `POST /fleet/v1/checkin` with the school's credential; `report` as sent (an object, or text to send as it is). */
export async function checkIn(server: string, credential: SchoolCredential, report: unknown, options: RequestOptions = {}): Promise<void> {
  await postJson(server, 'fleet/v1/checkin', report, { Authorization: `Bearer ${credential.serverId}.${credential.secret}` }, options);
}

/** The feeds the upstream publishes, with their latest versions (what its schools would mirror). */
export async function publishedFeeds(server: string, options: RequestOptions = {}): Promise<PublishedFeed[]> {
  const indexUrl = serverUrl(server, 'feeds/v1/index.json');
  const index = await requestText(indexUrl, {}, options);
  if (index.status !== 200) throw SugaroidErrors.HTTP('GET', indexUrl.href, index.status, serverErrorDetail(index.body));
  const names = (JSON.parse(index.body) as { feeds?: string[] }).feeds ?? [];
  const feeds: PublishedFeed[] = [];
  for (const name of names) {
    const url = serverUrl(server, `feeds/v1/${encodeURIComponent(name)}/manifest.json`);
    const answer = await requestText(url, {}, options);
    if (answer.status !== 200) continue;
    const manifest = JSON.parse(answer.body) as { version?: number; generated?: string };
    if (typeof manifest.version === 'number' && typeof manifest.generated === 'string') feeds.push({ name, version: manifest.version, generated: manifest.generated });
  }
  return feeds;
}
