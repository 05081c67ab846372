#!/usr/bin/env bash
# Proves that a production install starts: in a fresh clone of this checkout's last commit,
#   npm ci && npm run build && npm prune --omit=dev && npm start
# (offline preview, no key) must serve /api/health and /. Then, still pruned, it checks that a
# changed source makes `npm start` refuse with the "build before pruning" message instead of
# crashing. Slow (a full install and build): .ci/run calls it after npm test, npm test does not.
# Env: CHECK_PORT (default 3190 + E2E_PORT_OFFSET, clear of the e2e ports), KEEP_CHECK_DIR=1 keeps
# the clone for a look.
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
port="${CHECK_PORT:-$((3190 + ${E2E_PORT_OFFSET:-0}))}"
work="$(mktemp -d "${TMPDIR:-/tmp}/studio-production-install.XXXXXX")"
server_pid=""

stop_server() {
  if [ -n "$server_pid" ]; then
    # setsid made the launcher a group leader: this stops it, Next.js and the emulator together.
    kill -TERM -- "-$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=""
  fi
}
cleanup() {
  stop_server
  if [ "${KEEP_CHECK_DIR:-}" = 1 ]; then echo "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

fail() {
  echo "check-production-install: FAILED: $*" >&2
  if [ -f "$work/start.log" ]; then
    echo "--- npm start said:" >&2
    tail -n 40 "$work/start.log" >&2
  fi
  exit 1
}

# Fetches a URL from the studio as a browser would: it follows redirects and keeps the cookies they
# set (offline preview signs the visitor in at /sign-in/local and sends them back with a session
# cookie; without the cookie that is a redirect loop). Prints the body, fails on a non-2xx answer.
# Node, not curl: a pruned production machine has node for certain.
fetch_ok() {
  node -e '
    (async () => {
      const cookies = new Map();
      let url = new URL(process.argv[1]);
      for (let hop = 0; hop < 10; hop += 1) {
        const cookie = [...cookies].map(([name, value]) => `${name}=${value}`).join("; ");
        const response = await fetch(url, { redirect: "manual", headers: cookie ? { cookie } : {}, signal: AbortSignal.timeout(30_000) });
        for (const line of response.headers.getSetCookie()) {
          const [pair] = line.split(";");
          const at = pair.indexOf("=");
          cookies.set(pair.slice(0, at).trim(), pair.slice(at + 1).trim());
        }
        const location = response.headers.get("location");
        if (response.status >= 300 && response.status < 400 && location) {
          url = new URL(location, url);
          continue;
        }
        const body = await response.text();
        if (!response.ok) throw new Error(`${response.status} ${body.slice(0, 200)}`);
        process.stdout.write(body);
        return;
      }
      throw new Error(`more than 10 redirects from ${process.argv[1]}`);
    })().catch((error) => { console.error(error.message); process.exit(1); });
  ' "$1"
}

echo "--- check-production-install: cloning $(git -C "$repo" rev-parse --short HEAD) into $work"
git clone --quiet --no-hardlinks "$repo" "$work/studio"
cd "$work/studio"

echo "--- npm ci"
npm ci --no-audit --no-fund
echo "--- npm run build"
npm run build
echo "--- npm prune --omit=dev"
npm prune --omit=dev --no-audit --no-fund
for tool in typescript @tailwindcss/postcss tailwindcss eslint; do
  [ ! -e "node_modules/$tool" ] || fail "npm prune left the dev dependency $tool installed"
done
# npm keeps these: next names @playwright/test and better-auth names vitest as optional peers,
# which makes them and what they pull in (tsx, esbuild, vite, playwright) "devOptional", and
# --omit=dev keeps those. Moved aside, they prove that npm start needs none of them.
mkdir -p "$work/moved-aside"
for leftover in tsx esbuild vitest vite @playwright/test playwright playwright-core; do
  if [ -e "node_modules/$leftover" ]; then mv "node_modules/$leftover" "$work/moved-aside/${leftover//\//+}"; fi
done

echo "--- npm start (offline preview) on port $port"
# Otherwise whatever already listens there would answer the checks below.
if node -e '
  require("node:net").connect(Number(process.argv[1]), "127.0.0.1")
    .on("connect", () => process.exit(0))
    .on("error", () => process.exit(1));
' "$port"; then
  fail "port $port is in use; set CHECK_PORT"
fi
GEMINI_API_KEY="" PORT="$port" HOST=127.0.0.1 STUDIO_DATA_DIR="$work/data" \
  setsid npm start >"$work/start.log" 2>&1 &
server_pid=$!

health=""
for _ in $(seq 1 120); do
  kill -0 "$server_pid" 2>/dev/null || fail "npm start exited before the studio answered"
  if health="$(fetch_ok "http://127.0.0.1:$port/api/health" 2>/dev/null)"; then break; fi
  sleep 1
done
[ -n "$health" ] || fail "/api/health did not answer within 120 s"
echo "/api/health: $health"
case "$health" in *'"mode":"offline-preview"'*) ;; *) fail "/api/health does not report offline preview" ;; esac

page="$(fetch_ok "http://127.0.0.1:$port/")" || fail "/ did not answer 200"
case "$page" in *"<title>Nano Banana Studio</title>"*) ;; *) fail "/ is not the studio's page" ;; esac
echo "/: $(printf '%s' "$page" | wc -c) bytes of HTML"

grep -q "build is up to date" "$work/start.log" || fail "npm start rebuilt (or tried to) after npm run build"
stop_server

echo "--- a changed source in the pruned install: npm start must refuse clearly"
printf '\n/* changed after the build */\n' >>app/globals.css
if GEMINI_API_KEY="" PORT="$port" STUDIO_DATA_DIR="$work/data" npm start >"$work/start.log" 2>&1; then
  fail "npm start succeeded although it cannot build"
fi
grep -q "npm ci && npm run build && npm prune --omit=dev" "$work/start.log" || fail "npm start failed without saying why"
git checkout --quiet app/globals.css

printf '\n// changed after the build\n' >>emulator/models.ts
if npm start >"$work/start.log" 2>&1; then fail "npm start ran a launcher older than its sources"; fi
grep -q "npm ci && npm run build && npm prune --omit=dev" "$work/start.log" || fail "npm start failed without saying why"
rm -f "$work/start.log"

echo "--- check-production-install: OK"
