import { fileURLToPath } from 'node:url';

const fixture = (path: string): string =>
  fileURLToPath(new URL(`./fixtures/react-native-types/${path}`, import.meta.url));

/**
 * TypeScript `paths` that resolve the two React Native SQLite bindings to their real type
 * declarations, vendored in fixtures/react-native-types (see its README).
 */
export const REACT_NATIVE_TYPE_PATHS: Readonly<Record<string, string[]>> = {
  'expo-sqlite': [fixture('expo-sqlite/index.d.ts')],
  '@op-engineering/op-sqlite': [fixture('op-sqlite/index.d.ts')],
};
