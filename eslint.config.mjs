import nextCoreWebVitals from "eslint-config-next/core-web-vitals";
import nextTypescript from "eslint-config-next/typescript";

const config = [
  ...nextCoreWebVitals,
  ...nextTypescript,
  {
    ignores: [".next/**", "dist/**", "node_modules/**", "test-results/**", "playwright-report/**", "next-env.d.ts", ".nano-banana/**", ".e2e-data/**", ".scratch/**"],
  },
  {
    rules: {
      "no-console": ["error", { allow: ["warn", "error"] }],
      "@typescript-eslint/no-explicit-any": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
    },
  },
  {
    // Code the browser loads validates with zod/mini: classic zod's chained methods can't be
    // trimmed by the bundler, and one import of it put ~30 KB of gzipped JavaScript in every
    // page's first load (bench/README.md, "Page weight, round 4").
    files: [
      "components/**/*.tsx",
      "lib/store/**",
      "instrumentation-client.ts",
      "lib/gemini/types.ts",
      "lib/images/upload-contract.ts",
      "lib/studio/region-edit.ts",
      "lib/studio/turn-set-limits.ts",
      "components/usage/budget-schemas.ts",
    ],
    rules: {
      "no-restricted-imports": [
        "error",
        { paths: [{ name: "zod", message: "Code the browser loads uses zod/mini (see lib/gemini/types.ts)." }], patterns: [{ group: ["zod/v4", "zod/v3"], message: "Code the browser loads uses zod/mini." }] },
      ],
    },
  },
  {
    // Servers and command-line tools talk to their operator on stdout.
    files: ["scripts/**", "emulator/cli.ts", "bench/**"],
    rules: { "no-console": "off" },
  },
];

export default config;
