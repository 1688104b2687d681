/**
 * `target` seen through a Proxy: the methods in `overrides` replace its own, every other method
 * is bound to `target` (so class methods with `#private` fields keep working) and other
 * properties read through. Each method is bound once, not on every access: the push reads the
 * transaction's methods once per op.
 */
export function withMethodOverrides<T extends object>(target: T, overrides: Partial<T>): T {
  const bound = new Map<PropertyKey, { readonly of: unknown; readonly method: unknown }>();
  return new Proxy(target, {
    get(object, property) {
      if (Object.hasOwn(overrides, property)) return overrides[property as keyof T];
      const value: unknown = Reflect.get(object, property, object);
      if (typeof value !== 'function') return value;
      const known = bound.get(property);
      // A method reassigned on the target since is bound afresh.
      if (known?.of === value) return known.method;
      const method = (value as () => unknown).bind(object);
      bound.set(property, { of: value, method });
      return method;
    },
  });
}
