/**
 * What an update changed, recorded as it happens: `update(change)` hands the
 * change a proxy of the document that notes every property set or deleted, by
 * path. Replaying the notes on the document as it was gives the document as it
 * is, so a write stores only what changed, never the whole document.
 */

/** One change: set `path` to a JSON value, or delete it. */
export type Op = readonly [kind: 0, path: readonly string[], value: unknown] | readonly [kind: 1, path: readonly string[]];

interface Recorder {
  active: boolean;
  readonly ops: { path: string[]; value?: unknown; deleted: boolean }[];
}

const targets = new WeakMap<object, object>();

/**
 * Run `change` on a recording view of `root`. Returns the ops it made as JSON
 * text ('' for none), and what it threw: the ops made before a throw are in
 * the document all the same.
 */
export function recordChanges<T extends object>(root: T, change: (view: T) => void): { payload: string; error?: unknown } {
  const recorder: Recorder = { active: true, ops: [] };
  const proxies = new WeakMap<object, object>();

  const view = <O extends object>(target: O, path: string[]): O => {
    const known = proxies.get(target);
    if (known) return known as O;
    const proxy: O = new Proxy(target, {
      get(obj, key, receiver) {
        const value = Reflect.get(obj, key, receiver);
        if (!recorder.active || typeof key !== 'string' || value === null || typeof value !== 'object') return value;
        return view(value as object, [...path, key]);
      },
      set(obj, key, value, receiver): boolean {
        const raw = unwrap(value);
        if (recorder.active && typeof key === 'string') recorder.ops.push({ path: [...path, key], value: raw, deleted: false });
        return Reflect.set(obj, key, raw, receiver === proxy ? obj : receiver);
      },
      deleteProperty(obj, key) {
        if (recorder.active && typeof key === 'string' && Object.prototype.hasOwnProperty.call(obj, key)) {
          recorder.ops.push({ path: [...path, key], deleted: true });
        }
        return Reflect.deleteProperty(obj, key);
      },
      defineProperty(obj, key, descriptor) {
        if (!('value' in descriptor)) return Reflect.defineProperty(obj, key, descriptor);
        const raw = { ...descriptor, value: unwrap(descriptor.value) };
        if (recorder.active && typeof key === 'string') recorder.ops.push({ path: [...path, key], value: raw.value, deleted: false });
        return Reflect.defineProperty(obj, key, raw);
      },
    });
    proxies.set(target, proxy);
    targets.set(proxy, target);
    return proxy;
  };

  let error: unknown;
  try {
    change(view(root, []));
  } catch (err) {
    error = err ?? new Error('the change threw a nullish value');
  } finally {
    recorder.active = false;
  }
  // Values are taken when the change returns: what it built is what is stored.
  const payload = recorder.ops.length === 0 ? '' : JSON.stringify(recorder.ops.map((op) => (op.deleted ? [1, op.path] : [0, op.path, op.value === undefined ? null : op.value])));
  return error === undefined ? { payload } : { payload, error };
}

/**
 * The document behind `value`: a view handed out during a change stays out of
 * the document, also where a new value holds one deeper down (`{ ...old }`
 * copies the views of `old`'s members).
 */
function unwrap(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  const target = targets.get(value as object);
  if (target) return target;
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    const member = record[key];
    if (member !== null && typeof member === 'object') {
      const inner = unwrap(member);
      if (inner !== member) record[key] = inner;
    }
  }
  return value;
}

/** Apply recorded ops (as parsed from the journal) to `root`. */
export function applyOps(root: object, ops: readonly Op[]): void {
  for (const op of ops) {
    const path = op[1];
    let parent: Record<string, unknown> = root as Record<string, unknown>;
    for (let i = 0; i < path.length - 1; i++) {
      const next = parent[path[i]!];
      if (next === null || typeof next !== 'object') throw new Error(`path ${path.slice(0, i + 1).join('.')} is not an object`);
      parent = next as Record<string, unknown>;
    }
    const key = path[path.length - 1]!;
    if (op[0] === 1) delete parent[key];
    else if (Array.isArray(parent) && key === 'length') parent.length = op[2] as number;
    else Object.defineProperty(parent, key, { value: op[2], writable: true, enumerable: true, configurable: true });
  }
}
