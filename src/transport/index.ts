export { directTransport } from './direct-transport.js';
export type { FetchHandler } from './direct-transport.js';
export { httpTransport } from './http-transport.js';
export type { HeadersOption, HttpTransportOptions } from './http-transport.js';
export { parseRetryAfter } from './read-response.js';
