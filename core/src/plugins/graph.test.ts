import { describe, expect, it } from 'vitest';
import { orderServices } from './graph.js';

describe('orderServices', () => {
  it('puts dependencies first', () => {
    const { order, cycles } = orderServices(new Map([['backup', ['registry']], ['leases', ['registry']], ['registry', []]]));
    expect(order.indexOf('registry')).toBeLessThan(order.indexOf('backup'));
    expect(order.indexOf('registry')).toBeLessThan(order.indexOf('leases'));
    expect(cycles.size).toBe(0);
  });

  it('names a cycle for each of its members and leaves them and their dependants out', () => {
    const { order, cycles } = orderServices(new Map([['a', ['b']], ['b', ['a']], ['c', ['a']], ['d', []]]));
    expect(cycles.get('a')).toBe('a → b → a');
    expect(cycles.get('b')).toBe('a → b → a');
    expect(order).toEqual(['d']);
  });

  it('ignores dependencies on services outside the map (the host reports those)', () => {
    expect(orderServices(new Map([['backup', ['registry']]])).order).toEqual(['backup']);
  });
});
