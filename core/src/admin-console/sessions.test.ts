import { describe, expect, it } from 'vitest';
import { csrfMatches, Sessions } from './sessions.js';

describe('console sessions', () => {
  it('end after the idle timeout, and each use restarts it', () => {
    let now = 0;
    const sessions = new Sessions(1000, () => now);
    const session = sessions.open('teacher');
    now = 900;
    expect(sessions.touch(session.id)?.account).toBe('teacher');
    now = 1800;
    expect(sessions.touch(session.id)?.account).toBe('teacher');
    now = 2801;
    expect(sessions.touch(session.id)).toBeUndefined();
    expect(sessions.touch(session.id)).toBeUndefined();
  });

  it('know only their own ids and CSRF tokens', () => {
    const sessions = new Sessions(60_000);
    const a = sessions.open('a');
    const b = sessions.open('b');
    expect(a.id).not.toBe(b.id);
    expect(sessions.touch('made-up')).toBeUndefined();
    expect(csrfMatches(a, a.csrf)).toBe(true);
    expect(csrfMatches(a, b.csrf)).toBe(false);
    expect(csrfMatches(a, null)).toBe(false);
    sessions.close(a.id);
    expect(sessions.touch(a.id)).toBeUndefined();
  });
});
