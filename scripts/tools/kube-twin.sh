#!/usr/bin/env bash
# Builds the binaries of the test twin (test/twin/: a real Kubernetes control plane with simulated nodes) once
# and caches them in .tools/kube-twin-<versions>/; prints that directory on stdout (progress on stderr).
# Idempotent and safe to run from two lanes at once (a lock per part); a second run is instant.
#   kube-apiserver, kube-controller-manager, kube-scheduler: k8s.io/kubernetes, pinned in scripts/tools/kube/go.mod
#     (one `go build` for the three, so they share the compile of the packages they have in common)
#   kwok:  sigs.k8s.io/kwok cmd/kwok (simulated nodes and pod lifecycles)
#   kueue: sigs.k8s.io/kueue cmd/kueue (the controller; its CRDs, conversion patches and webhook
#          configurations copied to crds/kueue/)
#   etcd:  Debian's etcd-server package, unpacked without root (`apt-get download` + `dpkg-deb -x`)
#   CRDs of the add-ons whose charts the twin cannot fetch, from their Go modules (source only, no build):
#     crds/prometheus-operator/ (example/prometheus-operator-crd), crds/keda/ (config/crd/bases),
#     crds/keda-http/ (the HTTP add-on's config/crd/bases), crds/flagger/ (artifacts/flagger/crd.yaml),
#     crds/argo-workflows/ (manifests/base/crds/minimal, what the chart installs with crds.full: false),
#     crds/argo-events/ (manifests/base/crds: EventBus, EventSource, Sensor),
#     crds/gateway-api/ (config/crd/standard, the standard channel the platform installs)
# kwok and kueue are built inside their downloaded module directories (like tofu.sh), so their own go.mod and
# go.sum pin their dependencies.
set -euo pipefail
cd "$(dirname "$0")/../.."

KUBE_VERSION=$(sed -n 's/^\tk8s.io\/kubernetes \(v[^ ]*\).*/\1/p' scripts/tools/kube/go.mod)
KWOK_VERSION=v0.8.0
KUEUE_VERSION=v0.17.0
# The versions of the pinned charts' operators (src/monitoring/scrape.ts, src/inference/addons.ts). The Go proxy
# does not serve prometheus-operator v0.86.2 (the chart's appVersion): v0.86.1, the same CRD schemas.
PROM_OPERATOR_VERSION=v0.86.1
KEDA_VERSION=v2.17.2
KEDA_HTTP_VERSION=v0.15.0
FLAGGER_VERSION=v1.44.0
# The chart pins Argo Workflows v4.0.6; the Go proxy does not serve it (403): v4.0.5, the CRDs of the same minor.
ARGO_WORKFLOWS_VERSION=v4.0.5
# Argo Events v1.9.10, the app version of the pinned chart 2.4.22 (src/pipeline/events.ts): the new-data triggers' EventBus, EventSource, Sensor.
ARGO_EVENTS_VERSION=v1.9.10
# Gateway API v1.3.0: the standard channel the platform installs (src/k8s/charts.ts GATEWAY_API_CRDS).
GATEWAY_API_VERSION=v1.3.0
CRDS_STAMP=".crds-$PROM_OPERATOR_VERSION-$KEDA_VERSION-$KEDA_HTTP_VERSION-$FLAGGER_VERSION-$ARGO_WORKFLOWS_VERSION-$ARGO_EVENTS_VERSION-$GATEWAY_API_VERSION"
DIR="$PWD/.tools/kube-twin-$KUBE_VERSION-kwok-$KWOK_VERSION-kueue-$KUEUE_VERSION"
# `kube-twin.sh apiserver`: only etcd and kube-apiserver, what the real-tool tier's RBAC and admission tests need
# (scripts/test.sh builds them early, beside the other lane). Without an argument: everything the twin needs.
PARTS=${1:-all}
case "$PARTS" in
  apiserver) BINS=(kube-apiserver etcd); KUBE_CMDS=(kube-apiserver) ;;
  all) BINS=(kube-apiserver kube-controller-manager kube-scheduler kwok kueue etcd); KUBE_CMDS=(kube-apiserver kube-controller-manager kube-scheduler) ;;
  *) echo "kube-twin: unknown argument '$PARTS' (use 'apiserver', or nothing for the whole twin)" >&2; exit 2 ;;
esac

kube_built() {
  local c out
  for c in "${KUBE_CMDS[@]}"; do [ -x "$DIR/bin/$c" ] || return 1; done
  # Read whole, then compared: `--version | grep -q` under pipefail can fail at random (SIGPIPE to the writer).
  out=$("$DIR/bin/kube-apiserver" --version 2>/dev/null) && [ "$out" = "Kubernetes $KUBE_VERSION" ]
}

installed() {
  local b
  for b in "${BINS[@]}"; do [ -x "$DIR/bin/$b" ] || return 1; done
  kube_built || return 1
  [ "$PARTS" = apiserver ] && return 0
  crds_installed
}

fail() { echo "kube-twin: $*" >&2; exit 1; }

# go_build MODULE_DIR OUT_DIR PACKAGES...: builds into OUT_DIR; the module cache is read-only, so the binaries
# go to a temporary directory first and are moved into place whole.
go_build() {
  local src=$1 out=$2 ldflags=$3; shift 3
  local tmp="$DIR/.build.$$"
  rm -rf "$tmp"; mkdir -p "$tmp"
  ( cd "$src" && CGO_ENABLED=0 go build -mod=readonly -trimpath -ldflags "-s -w $ldflags" -o "$tmp/" "$@" )
  mv "$tmp"/* "$out/"
  rmdir "$tmp"
}

module_dir() {
  local dir
  dir=$(go mod download -json "$1" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",*$/\1/p')
  [ -n "$dir" ] && [ -d "$dir" ] || fail "go mod download gave no module directory for $1"
  echo "$dir"
}

build_etcd() {
  # Debian ships etcd 3.4 as etcd-server; kube-apiserver speaks its v3 API.
  local deb tmp
  tmp=$(mktemp -d)
  if command -v apt-get >/dev/null 2>&1 && (cd "$tmp" && apt-get download etcd-server >&2); then
    deb=$(ls "$tmp"/etcd-server_*.deb)
    dpkg-deb -x "$deb" "$tmp/x"
    cp "$tmp/x/usr/bin/etcd" "$DIR/bin/etcd"
  elif [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    apt-get install -y etcd-server >&2
    cp "$(command -v etcd)" "$DIR/bin/etcd"
  else
    rm -rf "$tmp"
    fail "etcd: needs Debian's etcd-server package (apt-get download etcd-server, or apt-get install as root)"
  fi
  rm -rf "$tmp"
}

crds_installed() {
  [ -e "$DIR/crds/kueue/webhook/manifests.yaml" ] && [ -e "$DIR/crds/kueue/kustomization.yaml" ] && [ -e "$DIR/crds/kwok/stages.yaml" ] && [ -e "$DIR/crds/kwok/node-heartbeat.yaml" ] && [ -e "$DIR/crds/$CRDS_STAMP" ]
}

# One lock per part, so that `apiserver` (scripts/test.sh's first lane) waits only for a build of the kube
# binaries, never for kwok or Kueue (the twin's build in the other lane), and two runs never build one part twice.
part_lock() {
  exec 9>"$DIR/.lock-$1"
  if command -v flock >/dev/null 2>&1; then flock 9; fi
}
part_unlock() { exec 9>&-; }
need_go() { command -v go >/dev/null 2>&1 || fail "building the twin's $1 needs Go (https://go.dev/dl/) on PATH"; }

if ! installed; then
  mkdir -p "$DIR/bin" "$DIR/crds"
  start=$SECONDS
  part_lock etcd
  if [ ! -x "$DIR/bin/etcd" ]; then
    echo "kube-twin: unpacking etcd from Debian's etcd-server" >&2
    build_etcd
  fi
  part_unlock
  if [ "$PARTS" = all ]; then
    # kwok and Kueue first: their modules share nothing with k8s.io/kubernetes, whose packages the other lane's
    # `apiserver` build is likely compiling into the Go build cache meanwhile.
    part_lock kwok
    if [ ! -x "$DIR/bin/kwok" ]; then
      need_go kwok
      echo "kube-twin: building kwok $KWOK_VERSION" >&2
      t=$SECONDS
      go_build "$(module_dir "sigs.k8s.io/kwok@$KWOK_VERSION")" "$DIR/bin" "" ./cmd/kwok
      echo "kube-twin: kwok built in $((SECONDS - t))s" >&2
    fi
    part_unlock
    part_lock kueue
    if [ ! -x "$DIR/bin/kueue" ]; then
      need_go kueue
      echo "kube-twin: building kueue $KUEUE_VERSION" >&2
      t=$SECONDS
      go_build "$(module_dir "sigs.k8s.io/kueue@$KUEUE_VERSION")" "$DIR/bin" "" ./cmd/kueue
      echo "kube-twin: kueue built in $((SECONDS - t))s" >&2
    fi
    part_unlock
    part_lock crds
    if ! crds_installed; then
      need_go "CRDs (from the Go modules)"
      # Each CRD directory is written beside its old copy and swapped in whole: a twin that is starting reads
      # either the old or the new one.
      crd_dir() {  # crd_dir NAME FILES...
        local name=$1; shift
        rm -rf "$DIR/crds/.$name.new"; mkdir -p "$DIR/crds/.$name.new"
        cp -r "$@" "$DIR/crds/.$name.new/"
        chmod -R u+w "$DIR/crds/.$name.new"
        rm -rf "$DIR/crds/$name"; mv "$DIR/crds/.$name.new" "$DIR/crds/$name"
      }
      src=$(module_dir "sigs.k8s.io/kueue@$KUEUE_VERSION")
      crd_dir kueue "$src/config/components/crd/bases" "$src/config/components/crd/patches" "$src/config/components/crd/kustomization.yaml" \
        "$src/config/components/webhook"
      crd_dir prometheus-operator "$(module_dir "github.com/prometheus-operator/prometheus-operator@$PROM_OPERATOR_VERSION")"/example/prometheus-operator-crd/*.yaml
      crd_dir keda "$(module_dir "github.com/kedacore/keda/v2@$KEDA_VERSION")"/config/crd/bases/*.yaml
      crd_dir keda-http "$(module_dir "github.com/kedacore/http-add-on@$KEDA_HTTP_VERSION")"/config/crd/bases/*.yaml
      crd_dir flagger "$(module_dir "github.com/fluxcd/flagger@$FLAGGER_VERSION")"/artifacts/flagger/crd.yaml
      crd_dir argo-workflows "$(module_dir "github.com/argoproj/argo-workflows/v4@$ARGO_WORKFLOWS_VERSION")"/manifests/base/crds/minimal/argoproj.io_*.yaml
      crd_dir argo-events "$(module_dir "github.com/argoproj/argo-events@$ARGO_EVENTS_VERSION")"/manifests/base/crds/argoproj.io_*.yaml
      crd_dir gateway-api "$(module_dir "sigs.k8s.io/gateway-api@$GATEWAY_API_VERSION")"/config/crd/standard/*.yaml
      # kwok's "fast" stages (nodes Ready at once, pods Running and Ready, Job pods Succeeded): kwok needs them as config.
      kwok_src=$(module_dir "sigs.k8s.io/kwok@$KWOK_VERSION")
      rm -rf "$DIR/crds/.kwok.new"; mkdir -p "$DIR/crds/.kwok.new"
      for f in "$kwok_src"/kustomize/stage/node/fast/*.yaml "$kwok_src"/kustomize/stage/pod/fast/*.yaml; do
        [ "$(basename "$f")" = kustomization.yaml ] || { echo '---'; cat "$f"; } >> "$DIR/crds/.kwok.new/stages.yaml"
      done
      # Node heartbeats as node status updates: the twin runs kwok without node leases (holding a Lease per new node
      # delayed its pods by tens of seconds on a loaded machine).
      cp "$kwok_src/kustomize/stage/node/heartbeat/node-heartbeat.yaml" "$DIR/crds/.kwok.new/node-heartbeat.yaml"
      chmod -R u+w "$DIR/crds/.kwok.new"
      rm -rf "$DIR/crds/kwok"; mv "$DIR/crds/.kwok.new" "$DIR/crds/kwok"
      chmod -R u+w "$DIR/crds"
      touch "$DIR/crds/$CRDS_STAMP"
    fi
    part_unlock
  fi
  part_lock kube
  if ! kube_built; then
    need_go "control plane"
    echo "kube-twin: building ${KUBE_CMDS[*]} $KUBE_VERSION (many minutes on a cold Go cache)" >&2
    t=$SECONDS
    # The version the release build stamps (hack/lib/version.sh): clients such as Kueue parse the server's version.
    minor=${KUBE_VERSION#v1.}; minor=${minor%%.*}
    v="-X k8s.io/component-base/version.gitVersion=$KUBE_VERSION -X k8s.io/component-base/version.gitMajor=1"
    v="$v -X k8s.io/component-base/version.gitMinor=$minor -X k8s.io/component-base/version.gitTreeState=clean"
    v="$v -X k8s.io/client-go/pkg/version.gitVersion=$KUBE_VERSION -X k8s.io/client-go/pkg/version.gitMajor=1"
    v="$v -X k8s.io/client-go/pkg/version.gitMinor=$minor"
    go_build "$PWD/scripts/tools/kube" "$DIR/bin" "$v" "${KUBE_CMDS[@]/#/k8s.io/kubernetes/cmd/}"
    echo "kube-twin: ${KUBE_CMDS[*]} built in $((SECONDS - t))s" >&2
  fi
  part_unlock
  installed || fail "the build left some of ${BINS[*]} missing in $DIR/bin (or the CRDs in $DIR/crds)"
  echo "kube-twin: built in $((SECONDS - start))s" >&2
fi
echo "$DIR"
