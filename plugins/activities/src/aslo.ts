/**
 * `GET /services/update-aslo.php?id=<bundle_id>&appVersion=<x.y>`: the update
 * check of older Sugar (jarabe `model/update/aslo.py`), answered in Mozilla's
 * update RDF. Sugar finds, anywhere in the document, the first
 * `RDF:Description`, then `em:version`, `em:updateLink` and `em:updateSize`
 * (KiB, an integer); a document without `RDF:Description` means "no update".
 * `appVersion` (the Sugar release) is not used: every bundle is offered to every
 * release, and Sugar compares the version itself.
 */
import { escapeMarkup } from './html.js';

const RDF_NS = 'http://www.w3.org/1999/02/22-rdf-syntax-ns#';
const EM_NS = 'http://www.mozilla.org/2004/em-rdf#';
/** Sugar's application id in update RDF, as in aslo.py's example. */
const SUGAR_APP_ID = '{3ca105e0-2280-4897-99a0-c277d1b733d2}';

/** What an update answer offers. */
export interface AsloOffer {
  readonly id: string;
  readonly version: string;
  /** Absolute download URL. */
  readonly url: string;
  readonly size: number;
  readonly sha256: string;
}

/** The update RDF for `offer`, or the answer that says "no update" when there is none. */
export function renderUpdateRdf(offer: AsloOffer | undefined): string {
  const head = `<?xml version="1.0" encoding="UTF-8"?>\n<RDF:RDF xmlns:RDF="${RDF_NS}" xmlns:em="${EM_NS}">\n`;
  if (!offer) return `${head}</RDF:RDF>\n`;
  const id = escapeMarkup(offer.id);
  const version = escapeMarkup(offer.version);
  return `${head}<RDF:Description about="urn:mozilla:extension:${id}">
  <em:updates>
    <RDF:Seq>
      <RDF:li resource="urn:mozilla:extension:${id}:${version}"/>
    </RDF:Seq>
  </em:updates>
</RDF:Description>
<RDF:Description about="urn:mozilla:extension:${id}:${version}">
  <em:version>${version}</em:version>
  <em:targetApplication>
    <RDF:Description>
      <em:id>${SUGAR_APP_ID}</em:id>
      <em:updateLink>${escapeMarkup(offer.url)}</em:updateLink>
      <em:updateSize>${Math.ceil(offer.size / 1024)}</em:updateSize>
      <em:updateHash>sha256:${offer.sha256}</em:updateHash>
    </RDF:Description>
  </em:targetApplication>
</RDF:Description>
</RDF:RDF>
`;
}

/** A `Host` header that can go into a URL as it is: a name or IPv4 address, or a bracketed IPv6 address, with an optional port. */
const HOST = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?|\[[0-9A-Fa-f:.]{2,45}\])(?::\d{1,5})?$/;

/** True when `host` may be used to build a download link. */
export function isUsableHost(host: string): boolean {
  return host.length <= 260 && HOST.test(host);
}
