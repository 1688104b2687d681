/**
 * Type declarations for packages a docs snippet imports that are neither installed nor vendored
 * (React Native modules, web frameworks): the subset of each API the snippets use, written from
 * the package's documentation. expo-sqlite and op-sqlite resolve to their real declarations
 * instead (test/adapters/react-native-types.ts).
 */
export const FOREIGN_MODULES = `
declare module '@react-native-community/netinfo' {
  export interface NetInfoState {
    readonly isConnected: boolean | null;
  }
  const NetInfo: {
    addEventListener(listener: (state: NetInfoState) => void): () => void;
  };
  export default NetInfo;
}
declare module 'react-native' {
  export type AppStateStatus = 'active' | 'background' | 'inactive' | 'unknown' | 'extension';
  export const AppState: {
    addEventListener(
      type: 'change',
      listener: (state: AppStateStatus) => void,
    ): { remove(): void };
  };
}
declare module 'expo-background-fetch' {
  export enum BackgroundFetchResult {
    NoData = 1,
    NewData = 2,
    Failed = 3,
  }
  export function registerTaskAsync(
    taskName: string,
    options?: { minimumInterval?: number },
  ): Promise<void>;
}
declare module 'expo-task-manager' {
  export function defineTask(taskName: string, task: (body: unknown) => Promise<unknown>): void;
}
declare module 'react-native-background-fetch' {
  const BackgroundFetch: {
    registerHeadlessTask(
      task: (event: { taskId: string; timeout: boolean }) => Promise<void>,
    ): void;
    finish(taskId: string): void;
  };
  export default BackgroundFetch;
}
declare module 'expo/fetch' {
  export function fetch(url: string, init?: RequestInit): Promise<Response>;
}
declare module 'react-native-get-random-values' {}
declare module 'hono' {
  export class Hono {
    post(
      path: string,
      handler: (c: { req: { raw: Request } }) => Response | Promise<Response>,
    ): this;
  }
}
declare module 'express' {
  import type { IncomingMessage, ServerResponse } from 'node:http';
  interface Request extends IncomingMessage {}
  interface Response extends ServerResponse {
    sendStatus(code: number): this;
  }
  type Handler = (req: Request, res: Response, next: (error?: unknown) => void) => unknown;
  interface Application {
    use(path: string, ...handlers: Handler[]): this;
    listen(port: number): unknown;
  }
  export default function express(): Application;
}
`;
