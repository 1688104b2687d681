// A fake-indexeddb factory that runs out of quota on demand, for the storage-full tests.

/**
 * Wraps a factory so that a read-write transaction in which `tooBig(value)` held for a put is
 * aborted at commit with a `QuotaExceededError`, as Chromium does when the origin is out of
 * quota. Everything else passes through to the real (fake-indexeddb) objects.
 */
export function quotaLimitedFactory(
  inner: IDBFactory,
  tooBig: (value: unknown) => boolean,
): IDBFactory {
  const passThrough = <T extends object>(target: T, override: (prop: PropertyKey) => unknown) =>
    new Proxy(target, {
      get(t, prop) {
        const replaced = override(prop);
        if (replaced !== undefined) return replaced;
        const value: unknown = Reflect.get(t, prop, t);
        return typeof value === 'function' ? value.bind(t) : value;
      },
      set: (t, prop, value) => Reflect.set(t, prop, value, t),
    });
  const wrapTransaction = (tx: IDBTransaction): IDBTransaction => {
    let exceeded = false;
    let quotaError: DOMException | undefined;
    const wrapped = passThrough(tx, (prop) => {
      if (prop === 'error') return quotaError;
      if (prop === 'commit') {
        return () => {
          if (!exceeded) return tx.commit();
          quotaError = new DOMException('The quota has been exceeded.', 'QuotaExceededError');
          tx.abort();
        };
      }
      if (prop === 'objectStore') {
        return (name: string) => {
          const store = tx.objectStore(name);
          return passThrough(store, (storeProp) =>
            storeProp === 'put'
              ? (value: unknown, key?: IDBValidKey) => {
                  if (tooBig(value)) exceeded = true;
                  return store.put(value, key);
                }
              : undefined,
          );
        };
      }
      return undefined;
    });
    return wrapped;
  };
  const wrapDb = (db: IDBDatabase): IDBDatabase =>
    passThrough(db, (prop) =>
      prop === 'transaction'
        ? (...args: Parameters<IDBDatabase['transaction']>) =>
            wrapTransaction(db.transaction(...args))
        : undefined,
    );
  return passThrough(inner, (prop) =>
    prop === 'open'
      ? (name: string, version?: number) => {
          const request = inner.open(name, version);
          return passThrough(request, (requestProp) =>
            requestProp === 'result' && request.readyState === 'done' && !request.error
              ? wrapDb(request.result)
              : undefined,
          );
        }
      : undefined,
  );
}
