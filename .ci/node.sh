# Sourced by .ci/run: makes `node` at least the version package.json's engines asks for.
# Debian ships Node 20, which is past its end of life and too old for @google/genai and
# react-dropzone. The npm registry serves Node's own Linux build as the package node-linux-<arch>
# (bin/node and include/node, no npm), so this fetches it with `npm pack`, puts its bin first on
# PATH (the system npm then runs under it), and points node-gyp at its headers: better-sqlite3
# compiles from source against the Node that will load it.
# Env: STUDIO_NODE_PREFIX (default ~/.cache/nano-banana-studio/node-<major>) keeps it between runs.

# package.json's engines ("node": ">=22.12") is the one place that says which Node.
STUDIO_NODE_MINIMUM="$(sed -n 's/^ *"node": *">= *\([0-9.]*\)".*/\1/p' package.json)"
STUDIO_NODE_MAJOR="${STUDIO_NODE_MINIMUM%%.*}"

# True when the node on PATH is at least $1 (x, x.y or x.y.z).
node_is_at_least() {
  command -v node >/dev/null 2>&1 || return 1
  node -e '
    const need = process.argv[1].split(".").map(Number);
    const have = process.versions.node.split(".").map(Number);
    for (let i = 0; i < 3; i++) {
      const [h, n] = [have[i] ?? 0, need[i] ?? 0];
      if (h !== n) process.exit(h > n ? 0 : 1);
    }
  ' "$1"
}

ensure_node() {
  [ -n "$STUDIO_NODE_MINIMUM" ] || { echo "package.json has no engines.node of the form >=x.y" >&2; return 1; }
  if node_is_at_least "$STUDIO_NODE_MINIMUM"; then
    # The machine's npm config may point node-gyp at other headers (this kind's ~/.npmrc says
    # nodedir=/usr, Debian's Node 20): better-sqlite3 then builds for Node 20 and fails to load in
    # the Node 22 that runs the tests (CI, stop 23). Build against the headers of the node that runs.
    local own_prefix
    own_prefix="$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")"
    if [ -f "$own_prefix/include/node/node_version.h" ]; then export npm_config_nodedir="$own_prefix"; fi
    return 0
  fi
  local arch
  case "$(uname -m)" in
    x86_64) arch=x64 ;;
    aarch64 | arm64) arch=arm64 ;;
    *) echo "No Node.js build on the npm registry for $(uname -m); install Node $STUDIO_NODE_MINIMUM+ yourself." >&2; return 1 ;;
  esac
  local prefix="${STUDIO_NODE_PREFIX:-${XDG_CACHE_HOME:-$HOME/.cache}/nano-banana-studio/node-$STUDIO_NODE_MAJOR}"

  if ! PATH="$prefix/bin:$PATH" node_is_at_least "$STUDIO_NODE_MINIMUM"; then
    echo "--- node $(node --version 2>/dev/null || echo missing) is older than $STUDIO_NODE_MINIMUM: fetching node-linux-$arch@$STUDIO_NODE_MAJOR from the npm registry"
    local download
    download="$(mktemp -d)"
    # The newest $STUDIO_NODE_MAJOR.x: the range is never below the minimum, which is within that line.
    (cd "$download" && npm pack --silent "node-linux-$arch@^$STUDIO_NODE_MINIMUM" >/dev/null)
    rm -rf "$prefix"
    mkdir -p "$prefix"
    tar -xzf "$download"/node-linux-"$arch"-*.tgz -C "$prefix" --strip-components=1
    rm -rf "$download"
  fi

  export PATH="$prefix/bin:$PATH"
  # node-gyp otherwise downloads headers from nodejs.org, which CI cannot reach.
  export npm_config_nodedir="$prefix"
  # Debian's Node trusts the system's certificates; this build trusts only its bundled ones, so a
  # registry mirror or proxy with a local CA would fail. Give it the system's as well.
  if [ -z "${NODE_EXTRA_CA_CERTS:-}" ] && [ -r /etc/ssl/certs/ca-certificates.crt ]; then
    export NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
  fi
  hash -r
  node_is_at_least "$STUDIO_NODE_MINIMUM" || { echo "Node in $prefix does not run." >&2; return 1; }
}

ensure_node
