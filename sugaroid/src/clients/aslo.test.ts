import { describe, expect, it } from 'vitest';
import { isSugaroidError } from '../errors.js';
import { readUpdateRdf } from './aslo.js';

const URL = 'http://schoolserver/services/update-aslo.php?id=a';

describe('reading ASLO update RDF as aslo.py does', () => {
  it('reads the offer by namespace, whatever the prefixes', () => {
    const rdf = `<?xml version="1.0"?>
      <r:RDF xmlns:r="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://www.mozilla.org/2004/em-rdf#">
        <r:Description about="urn:x"><version>34</version>
          <targetApplication><r:Description><updateLink>http://h/a.xo</updateLink><updateSize>12</updateSize></r:Description></targetApplication>
        </r:Description></r:RDF>`;
    expect(readUpdateRdf(rdf, URL)).toEqual({ version: '34', url: 'http://h/a.xo', size: 12 * 1024 });
  });

  it('means "no update" when there is no RDF Description', () => {
    expect(readUpdateRdf('<RDF:RDF xmlns:RDF="http://www.w3.org/1999/02/22-rdf-syntax-ns#"></RDF:RDF>', URL)).toBeUndefined();
    // A Description of another namespace is not one.
    expect(readUpdateRdf('<x:RDF xmlns:x="urn:other"><x:Description/></x:RDF>', URL)).toBeUndefined();
  });

  it('says what is missing from an offer, and takes an unreadable size as 0', () => {
    const offer = (inner: string) => `<RDF:RDF xmlns:RDF="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:em="http://www.mozilla.org/2004/em-rdf#"><RDF:Description>${inner}</RDF:Description></RDF:RDF>`;
    const err = (() => {
      try {
        readUpdateRdf(offer('<em:version>2</em:version>'), URL);
      } catch (e) {
        return e;
      }
    })();
    expect(isSugaroidError(err) && err.message).toMatch(/no em:updateLink/);
    expect(readUpdateRdf(offer('<em:version>2</em:version><em:updateLink>u</em:updateLink><em:updateSize>big</em:updateSize>'), URL)?.size).toBe(0);
  });
});
