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
    // Servers and command-line tools talk to their operator on stdout.
    files: ["scripts/**", "emulator/cli.ts", "bench/**"],
    rules: { "no-console": "off" },
  },
];

export default config;
