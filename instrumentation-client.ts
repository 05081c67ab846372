import { config } from "zod/mini";

/**
 * Runs in the browser before the app's modules. Zod compiles object parsers with `new Function`
 * when it may, and finds out by trying once; under the studio's Content-Security-Policy (no
 * 'unsafe-eval', see lib/server/csp.ts) that probe fails harmlessly but is still reported as a
 * violation, which would hide real ones. `jitless` skips the probe; the parsers the browser runs
 * (forms, upload answers) are small, so the interpreted path costs nothing noticeable. From
 * zod/mini, like every schema the browser loads: importing classic zod here put all of it in every
 * page's first load.
 */
config({ jitless: true });
