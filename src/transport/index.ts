export { directTransport } from './direct-transport.js';
export type { FetchHandler } from './direct-transport.js';
export { httpTransport, parseRetryAfter } from './http-transport.js';
export type { HeadersOption, HttpTransportOptions } from './http-transport.js';
