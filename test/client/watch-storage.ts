// A storage adapter wrapper that reports transactions and their calls. Type imports only, so
// child-process fixtures bundled from src can use it too.
import type { StorageAdapter, StorageTransaction, TransactionMode } from 'tidesync';

/** What {@link watchStorage} reports. */
export interface StorageWatch {
  /** Each transaction, as it starts. */
  readonly transaction?: (mode: TransactionMode) => void;
  /** Each call of a transaction method, before it runs. */
  readonly call?: (method: keyof StorageTransaction, args: readonly unknown[]) => void;
}

/** Wraps a storage adapter so that its transactions and their calls are reported to `watch`. */
export function watchStorage(inner: StorageAdapter, watch: StorageWatch): StorageAdapter {
  const { call } = watch;
  const observed = (tx: StorageTransaction): StorageTransaction =>
    new Proxy(tx, {
      get(target, name) {
        const value = Reflect.get(target, name) as unknown;
        if (typeof value !== 'function') return value;
        // Called on the target: the transaction's methods use its private fields.
        return (...args: unknown[]) => {
          call?.(name as keyof StorageTransaction, args);
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
  return {
    kind: inner.kind,
    open: () => inner.open(),
    close: () => inner.close(),
    transaction: (mode, fn) =>
      inner.transaction(mode, (tx) => {
        watch.transaction?.(mode);
        return fn(call ? observed(tx) : tx);
      }),
  };
}
