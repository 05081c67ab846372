// Stand-in for the `server-only` package in unit tests, which run outside React Server Components.
export {};
