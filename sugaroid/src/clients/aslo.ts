/**
 * The ASLO update check of older Sugar (jarabe `model/update/aslo.py`): one
 * request per installed bundle, `GET <update-aslo.php>?id=<bundle_id>&appVersion=<x.y>`,
 * answered with Mozilla update RDF. As Sugar does with ElementTree, the answer
 * is read by namespace, not by prefix: the first `Description` of the RDF
 * namespace anywhere means an offer, whose `version`, `updateLink` and
 * `updateSize` (KiB) of the em-rdf namespace are the first found anywhere; no
 * `Description` means no update.
 */
import { findAll, findOne, getAttributeValue, textContent } from 'domutils';
import { parseDocument } from 'htmlparser2';
import { SugaroidErrors } from '../errors.js';
import { isSugarVersion } from '../sugar-version.js';
import { requestText, serverErrorDetail, type RequestOptions } from './http.js';

const RDF_NS = 'http://www.w3.org/1999/02/22-rdf-syntax-ns#';
const EM_NS = 'http://www.mozilla.org/2004/em-rdf#';

/** What an update answer offers. */
export interface AsloOffer {
  readonly version: string;
  readonly url: string;
  /** Bytes (the answer gives KiB). */
  readonly size: number;
}

type Element = ReturnType<typeof findAll>[number];

/** Ask `endpoint` about one installed bundle; undefined when it offers nothing. */
export async function askAslo(endpoint: string, bundleId: string, sugarVersion: string, options: RequestOptions = {}): Promise<AsloOffer | undefined> {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw SugaroidErrors.BAD_SERVER_URL(endpoint, 'not an absolute URL');
  }
  url.searchParams.set('id', bundleId);
  url.searchParams.set('appVersion', sugarVersion);
  const answer = await requestText(url, { redirect: 'follow' }, options);
  if (answer.status !== 200) throw SugaroidErrors.HTTP('GET', url.href, answer.status, serverErrorDetail(answer.body));
  return readUpdateRdf(answer.body, url.href);
}

/** Read an update RDF document; throws SUGAROID_ERR_BAD_ANSWER where Sugar's reading would fail. */
export function readUpdateRdf(xml: string, url: string): AsloOffer | undefined {
  const document = parseDocument(xml, { xmlMode: true });
  if (!findOne((e) => named(e, RDF_NS, 'Description'), document.children)) return undefined;
  const first = (local: string) => {
    const element = findOne((e) => named(e, EM_NS, local), document.children);
    if (!element) throw SugaroidErrors.BAD_ANSWER(url, `the offer has no em:${local}`);
    return textContent(element).trim();
  };
  const version = first('version');
  if (!isSugarVersion(version)) throw SugaroidErrors.BAD_ANSWER(url, `em:version ${JSON.stringify(version)} is not a Sugar version`);
  const link = first('updateLink');
  const size = first('updateSize');
  // Sugar takes a size it cannot read as 0.
  return { version, url: link, size: /^\d+$/.test(size) ? Number(size) * 1024 : 0 };
}

/** True when `element` is `{namespace}local`, its prefix resolved through the xmlns attributes in scope. */
function named(element: Element, namespace: string, local: string): boolean {
  const [prefix, name] = element.name.includes(':') ? element.name.split(':', 2) as [string, string] : ['', element.name];
  return name === local && namespaceOf(element, prefix) === namespace;
}

function namespaceOf(element: Element, prefix: string): string | undefined {
  const attribute = prefix ? `xmlns:${prefix}` : 'xmlns';
  for (let node: Element | null = element; node; node = node.parent && 'attribs' in node.parent ? node.parent : null) {
    const value = getAttributeValue(node, attribute);
    if (value !== undefined) return value;
  }
  return undefined;
}
