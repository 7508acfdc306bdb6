import { describe, expect, it } from 'vitest';
import { activitySection, checkLayout } from './xo-bundle.js';

describe('reading bundles as a laptop', () => {
  it('reads the [Activity] section as configparser would for the keys a laptop needs', () => {
    const info = activitySection('# comment\n[Other]\nname = no\n[Activity]\nName: Paint\nbundle_id = org.laptop.Paint\nsummary = one\n  two\n; done\n');
    expect(Object.fromEntries(info)).toEqual({ name: 'Paint', bundle_id: 'org.laptop.Paint', summary: 'one\ntwo' });
  });

  it('finds the top folder as Sugar does before installing', () => {
    expect(checkLayout(['mimetype', 'Paint.activity/activity/activity.info', 'Paint.activity/x.py'])).toBe('Paint.activity');
    expect(() => checkLayout(['Paint.activity/a', 'Other.activity/b'])).toThrow(/outside the top folder/);
    expect(() => checkLayout(['Paint/a'])).toThrow(/named \*\.activity/);
    expect(() => checkLayout(['.hidden.activity/a'])).toThrow(/starts with a dot/);
    expect(() => checkLayout(['mimetype'])).toThrow(/empty/);
  });
});
