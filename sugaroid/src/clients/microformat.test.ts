import { describe, expect, it } from 'vitest';
import { parseActivityPage } from './microformat.js';

const PAGE = 'http://schoolserver/activities/';

describe('reading the activity microformat as Sugar does', () => {
  it('reads entries, resolving links against the page, and the group', () => {
    const page = parseActivityPage(`
      <h1 id="olpc-activity-group-name"> Escuela 12 </h1>
      <p id="olpc-activity-group-desc">Grade 3</p>
      <ul>
        <li class="activity olpc-activity-info">
          <span class="olpc-activity-id">org.laptop.Paint</span>
          <span class="olpc-activity-version">34</span>
          <a class="olpc-activity-url" href="bundles/Paint-34.xo">get</a>
        </li>
        <li class="olpc-activity-info">
          <span class="olpc-activity-id"> org.laptop.Chat </span>
          <b class="olpc-activity-version">86</b>
          <span class="olpc-activity-url"><a href="/elsewhere/Chat-86.xo">get</a></span>
          <span class="olpc-activity-optional">1</span>
        </li>
      </ul>`, PAGE);
    expect(page.groupName).toBe('Escuela 12');
    expect(page.groupDescription).toBe('Grade 3');
    expect([...page.entries.values()]).toEqual([
      { id: 'org.laptop.Paint', version: '34', url: 'http://schoolserver/activities/bundles/Paint-34.xo', optional: false },
      { id: 'org.laptop.Chat', version: '86', url: 'http://schoolserver/elsewhere/Chat-86.xo', optional: true },
    ]);
  });

  it('keeps the highest version of an id, and the later of equal ones', () => {
    const entry = (version: string, file: string) =>
      `<div class="olpc-activity-info"><span class="olpc-activity-id">a</span><span class="olpc-activity-version">${version}</span><a class="olpc-activity-url" href="${file}">x</a></div>`;
    const page = parseActivityPage(entry('2', 'two') + entry('10', 'ten') + entry('3', 'three') + entry('10.0', 'ten-again'), PAGE);
    expect(page.entries.get('a')).toMatchObject({ version: '10.0', url: 'http://schoolserver/activities/ten-again' });
  });

  it('drops entries without an id, a valid version or a link', () => {
    const page = parseActivityPage(`
      <div class="olpc-activity-info"><span class="olpc-activity-version">1</span><a class="olpc-activity-url" href="x">x</a></div>
      <div class="olpc-activity-info"><span class="olpc-activity-id">b</span><span class="olpc-activity-version">1.02</span><a class="olpc-activity-url" href="x">x</a></div>
      <div class="olpc-activity-info"><span class="olpc-activity-id">c</span><span class="olpc-activity-version">1</span></div>
      <div class="olpc-activity-info"><span class="olpc-activity-id">d</span><span class="olpc-activity-version">1</span><a class="olpc-activity-url" href="d.xo">x</a></div>`, PAGE);
    expect([...page.entries.keys()]).toEqual(['d']);
  });

  it('takes an entry nested in another as part of the outer one, as Sugar\'s counters do', () => {
    const page = parseActivityPage(`
      <div class="olpc-activity-info"><span class="olpc-activity-id">outer</span>
        <div class="olpc-activity-info"><span class="olpc-activity-id">inner</span></div>
        <span class="olpc-activity-version">1</span><a class="olpc-activity-url" href="o.xo">x</a></div>`, PAGE);
    expect([...page.entries.keys()]).toEqual(['outerinner']);
  });
});
