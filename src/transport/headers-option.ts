/** Headers to send, or a function that returns them (for example with a fresh token). */
export type HeadersOption =
  Record<string, string> | (() => Record<string, string> | Promise<Record<string, string>>);
