/** The URL a fetch call goes to, as text: a Request's `url`, or the string or URL itself. */
export const urlOf = (input: RequestInfo | URL): string => (input instanceof Request ? input.url : input instanceof URL ? input.href : input);
