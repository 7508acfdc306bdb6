import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { formatSize, PAGE_POLICY, renderActivityPage } from './activity-page.js';
import type { BundleRecord } from './bundle-record.js';

function record(fields: Partial<BundleRecord>): BundleRecord {
  return {
    file: 'org.a-1.xo', size: 2048, mtimeMs: 0, sha256: 'ab'.repeat(32), id: 'org.a', version: '1', name: 'A', exec: 'x',
    icon: 'a', iconSvg: '<svg/>', license: null, summary: null, description: null, tags: [], translations: {}, warnings: [],
    unpackedSize: 0, entryCount: 1, ...fields,
  };
}

const OPTIONS = { groupName: 'School 12', groupDescription: '', languages: [], base: '' };

describe('the activity page', () => {
  it('has one olpc-activity-info entry per bundle, with id, version and a relative link', () => {
    const html = renderActivityPage([record({}), record({ id: 'org.b', name: 'B', file: 'org.b-7.xo', version: '7' })], OPTIONS);
    const entries = html.match(/<div class="olpc-activity-info">[\s\S]*?<\/div>/g)!;
    expect(entries).toHaveLength(2);
    expect(entries[1]).toContain('<span class="olpc-activity-id">org.b</span>');
    expect(entries[1]).toContain('<span class="olpc-activity-version">7</span>');
    expect(entries[1]).toContain('<a class="olpc-activity-url download" href="bundles/org.b-7.xo">');
    expect(html).toContain('<h1 id="olpc-activity-group-name">School 12</h1>');
    expect(html).not.toContain('olpc-activity-group-desc');
  });

  it('keeps void elements out of entries, where Sugar\'s tag counting would go wrong', () => {
    const html = renderActivityPage([record({})], OPTIONS);
    const entry = /<div class="olpc-activity-info">[\s\S]*?<\/div>/.exec(html)![0];
    expect(entry).not.toMatch(/<(img|br|hr|input|meta|link)\b/);
  });

  it('escapes everything a bundle says and never inlines its icon', () => {
    const evil = '<script>alert("x")</script>&\'';
    const html = renderActivityPage([record({ name: evil, summary: evil, iconSvg: '<svg><script>alert(1)</script></svg>' })], { ...OPTIONS, groupDescription: evil });
    expect(html).not.toContain('<script');
    expect(html).not.toContain('<svg');
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;');
  });

  it('shows translations for the languages asked, and prefixes links for /activities without a slash', () => {
    const translated = record({ name: 'Paint', summary: 'Draw', translations: { pt_BR: { name: 'Pintura' } } });
    const html = renderActivityPage([translated], { ...OPTIONS, languages: ['pt_br'], base: 'activities/' });
    expect(html).toContain('<h2 class="name" lang="pt-BR">Pintura</h2>');
    expect(html).toContain('<p class="summary" lang="pt-BR">Draw</p>');
    expect(html).toContain('href="activities/bundles/org.a-1.xo"');
    expect(html).toContain('src="activities/icons/org.a.svg"');
  });

  it('allows its own style sheet by hash, and nothing inline', () => {
    const html = renderActivityPage([], OPTIONS);
    const style = /<style>([\s\S]*?)<\/style>/.exec(html)![1]!;
    expect(PAGE_POLICY).toContain(`'sha256-${createHash('sha256').update(style).digest('base64')}'`);
    expect(PAGE_POLICY).not.toContain('unsafe-inline');
    expect(html).toContain('No activities yet.');
  });

  it('writes sizes for people', () => {
    expect([formatSize(100), formatSize(812 * 1024), formatSize(20.4 * 1024 * 1024)]).toEqual(['1 KB', '812 KB', '20.4 MB']);
  });
});
