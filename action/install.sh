#!/usr/bin/env bash
# Install aigate for the GitHub Action: the release binary of AIGATE_VERSION for this runner, verified
# against the sha256 pinned in checksums.sha256 beside this script.
#
#   pinned, download matches        -> install it
#   pinned, mismatch or no download -> fail (a mismatch is tampering or a broken release: never fall back)
#   not pinned (no release yet, or a target the release lacks)
#                                   -> build the action's own source with `cargo install --locked`
#
# Environment:
#   AIGATE_VERSION            the release to install, X.Y.Z (required; the action passes its `version` input)
#   AIGATE_RELEASE_BASE_URL   default https://github.com/aigate-dev/aigate/releases/download
#   AIGATE_CHECKSUMS_FILE     default checksums.sha256 beside this script (sha256sum format)
#   AIGATE_BIN_DIR            where aigate goes, default $RUNNER_TEMP/aigate/bin; appended to GITHUB_PATH if set
#   AIGATE_TARGET             the target triple, default detected from uname
set -euo pipefail

die() {
  printf 'aigate install: %s\n' "$1" >&2
  exit 1
}
log() { printf 'aigate install: %s\n' "$1" >&2; }

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source_dir="$(cd "$here/.." && pwd)"
base_url="${AIGATE_RELEASE_BASE_URL:-https://github.com/aigate-dev/aigate/releases/download}"
checksums="${AIGATE_CHECKSUMS_FILE:-$here/checksums.sha256}"
bin_dir="${AIGATE_BIN_DIR:-${RUNNER_TEMP:-${TMPDIR:-/tmp}}/aigate/bin}"

version="${AIGATE_VERSION:-}"
version="${version#v}"
# The version goes into a URL and a file name: accept only what a release tag can be.
[[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.]+)?$ ]] ||
  die "version '${AIGATE_VERSION:-}' is not a release version (X.Y.Z, e.g. 0.1.0)"

if [[ -n "${AIGATE_TARGET:-}" ]]; then
  target="$AIGATE_TARGET"
else
  os="$(uname -s)"
  arch="$(uname -m)"
  case "$os/$arch" in
  Linux/x86_64 | Linux/amd64) target=x86_64-unknown-linux-gnu ;;
  Linux/aarch64 | Linux/arm64) target=aarch64-unknown-linux-gnu ;;
  Darwin/x86_64) target=x86_64-apple-darwin ;;
  Darwin/arm64 | Darwin/aarch64) target=aarch64-apple-darwin ;;
  *) target="" ;;
  esac
  [[ -n "$target" ]] || log "no aigate release is built for $os/$arch"
fi
[[ -z "$target" || "$target" =~ ^[a-z0-9_]+(-[a-z0-9_]+)+$ ]] || die "'$target' is not a target triple"

asset="aigate-v$version-$target.tar.gz"
pinned=""
if [[ -n "$target" ]]; then
  [[ -r "$checksums" ]] || die "cannot read the pinned checksums $checksums"
  # sha256sum lines: "<hex>  <file>" (or "<hex> *<file>"); '#' starts a comment.
  pinned="$(awk -v f="$asset" '$1 !~ /^#/ && ($2 == f || $2 == "*" f) { print tolower($1) }' "$checksums" | sort -u)"
  [[ "$pinned" != *$'\n'* ]] || die "$checksums pins $asset more than once, with different checksums"
  [[ -z "$pinned" || "$pinned" =~ ^[0-9a-f]{64}$ ]] || die "$checksums: the checksum of $asset is not a sha256"
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

sha256_of() {
  if command -v sha256sum >/dev/null 2>&1; then
    sha256sum "$1" | awk '{ print $1 }'
  else
    shasum -a 256 "$1" | awk '{ print $1 }'
  fi
}

if [[ -n "$pinned" ]]; then
  url="$base_url/v$version/$asset"
  log "downloading $url"
  curl --fail --silent --show-error --location --retry 3 --output "$work/$asset" "$url" ||
    die "could not download $url, whose checksum is pinned: not falling back to a build"
  actual="$(sha256_of "$work/$asset")"
  if [[ "$actual" != "$pinned" ]]; then
    die "checksum mismatch for $asset: pinned $pinned, downloaded $actual. The release asset is not the one that was pinned; refusing to install it (and not falling back to a build)"
  fi
  log "checksum verified: $actual  $asset"
  tar -xzf "$work/$asset" -C "$work"
  binary="$work/aigate-v$version-$target/aigate"
  [[ -f "$binary" ]] || die "$asset does not contain aigate-v$version-$target/aigate"
  mkdir -p "$bin_dir"
  install -m 0755 "$binary" "$bin_dir/aigate"
else
  what="$asset"
  [[ -n "$target" ]] || what="this platform"
  source_version="$(sed -n 's/^version = "\(.*\)"$/\1/p' "$source_dir/Cargo.toml" | head -n 1)"
  # Without a pin, the only aigate this action can vouch for is its own source: never build another version.
  [[ "$source_version" == "$version" ]] ||
    die "no pinned checksum for $what in $checksums, and this action's source is aigate $source_version, not $version: use an action ref that pins $version, or version $source_version"
  log "no pinned checksum for $what in $checksums (no release yet?): building aigate $version from the action's source with cargo install --locked"
  command -v cargo >/dev/null 2>&1 || die "cargo is not on PATH: install a Rust toolchain before this step, or use a version with a pinned release"
  # From the source directory, so that its rust-toolchain.toml picks the toolchain.
  (cd "$source_dir" && cargo install --locked --path "$source_dir" --root "$work/cargo")
  [[ -f "$work/cargo/bin/aigate" ]] || die "cargo install did not produce $work/cargo/bin/aigate"
  mkdir -p "$bin_dir"
  install -m 0755 "$work/cargo/bin/aigate" "$bin_dir/aigate"
fi

if [[ -n "${GITHUB_PATH:-}" ]]; then
  printf '%s\n' "$bin_dir" >>"$GITHUB_PATH"
fi
log "installed $("$bin_dir/aigate" --version 2>/dev/null || echo aigate) at $bin_dir/aigate"
