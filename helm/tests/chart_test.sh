#!/usr/bin/env bash
# Checks for the dns-v1 Helm chart: `helm lint --strict`, then `helm template`
# with (a) defaults, (b) database.existingSecret, (c) migrations.job.enabled=false
# (plus metrics and a few edge cases), asserting on the rendered YAML with
# grep/awk; the security settings (pod and container securityContext of the
# Deployment and the migration Job, TLS/mTLS and PowerDNS CA Secrets mounted as
# files with HTTP probes under TLS, the bootstrap token Secret and that the
# token never reaches the ConfigMap, an env value or NOTES, the NetworkPolicy's
# peers and ports, and the render failures that guard them); then the
# rendered PrometheusRule's rule groups go through `promtool check rules` and
# `promtool test rules` (tests/prometheusrule_test.yaml).
# Prints `N passed, N failed`; exits non-zero if anything failed.
#
#   bash helm/tests/chart_test.sh
#
# helm: <repo>/.tools/bin/helm, else helm on PATH, else deploy/setup-debian.sh
# is run once to unpack it into .tools/.
#
# promtool (Debian package `prometheus`, installed by deploy/setup-debian.sh):
# required; without it the alert checks fail rather than skip, so CI cannot
# pass without having tested the alerts.
#
# kubectl: schema validation needs an API server (`kubectl apply
# --dry-run=client` still downloads the OpenAPI schema and the resource list
# from one, and `--validate=false` still needs discovery); nothing in kubectl
# validates offline, so that check runs only when a cluster is reachable and
# is skipped otherwise.
# No pipefail: checks pipe into `grep -q`, which may close the pipe early.
set -u

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CHART="$ROOT/helm"

if [[ -x "$ROOT/.tools/bin/helm" ]]; then
  HELM="$ROOT/.tools/bin/helm"
elif command -v helm >/dev/null 2>&1; then
  HELM="$(command -v helm)"
else
  echo "chart_test: no helm; running deploy/setup-debian.sh" >&2
  bash "$ROOT/deploy/setup-debian.sh" >&2 || { echo "chart_test: setup-debian.sh failed" >&2; exit 2; }
  HELM="$ROOT/.tools/bin/helm"
fi
if [[ -x "$ROOT/.tools/bin/kubectl" ]]; then
  KUBECTL="$ROOT/.tools/bin/kubectl"
else
  KUBECTL="$(command -v kubectl || true)"
fi

TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

passed=0
failed=0
ok()   { passed=$((passed + 1)); echo "PASS  $*"; }
bad()  { failed=$((failed + 1)); echo "FAIL  $*"; }
# check "description" command...: passes when the command succeeds.
check() {
  local what="$1"; shift
  if "$@" >/dev/null 2>&1; then ok "$what"; else bad "$what"; fi
}
# check_not "description" command...: passes when the command fails.
check_not() {
  local what="$1"; shift
  if "$@" >/dev/null 2>&1; then bad "$what"; else ok "$what"; fi
}

# docs FILE KIND: every rendered document of that kind.
docs() {
  awk -v k="$2" '
    /^---/ { if (keep) printf "%s", buf; buf = ""; keep = 0; next }
    { buf = buf $0 "\n"; if ($0 == "kind: " k) keep = 1 }
    END { if (keep) printf "%s", buf }' "$1"
}
# block KEY: from stdin, the lines nested under the first `KEY:` line.
block() {
  awk -v key="$1" '
    !inblock { if ($0 ~ "^ *" key ":$") { inblock = 1; match($0, "^ *"); ind = RLENGTH }; next }
    { match($0, "^ *"); if (RLENGTH <= ind) exit; print }'
}
# has FILE KIND REGEX: a document of KIND matches the (extended) regex.
has() { docs "$1" "$2" | grep -Eq -- "$3"; }
# probe FILE NAME: the body of the dnsd container's probe NAME.
probe() { docs "$1" Deployment | block "$2"; }
# env_value FILE NAME: the value line following `- name: NAME` in the Deployment.
env_value() { docs "$1" Deployment | grep -A1 -- "- name: $2\$" | sed -n 's/^ *value: *//p'; }
# rule_groups FILE: the PrometheusRule's spec (the `groups:` document promtool reads).
rule_groups() { docs "$1" PrometheusRule | block spec | sed 's/^  //'; }

render() { # render OUT [helm args...]
  local out="$1"; shift
  if "$HELM" template dns-v1 "$CHART" --namespace dns "$@" >"$out" 2>"$out.err"; then
    ok "helm template $*"
  else
    bad "helm template $*: $(head -c 400 "$out.err")"
    : >"$out"
  fi
}

SECRET_URL='postgresql://dnsapp:S3cretPassw0rd@db.example.internal:5432/dns'
SECRET_B64="$(printf '%s' "$SECRET_URL" | base64 -w0)"

# --- lint ---------------------------------------------------------------------
check "helm lint --strict (defaults)" "$HELM" lint --strict "$CHART"
check "helm lint --strict (existingSecret)" "$HELM" lint --strict "$CHART" --set database.existingSecret=dns-db
check "helm lint --strict (job disabled)" "$HELM" lint --strict "$CHART" --set migrations.job.enabled=false
check "helm lint --strict (hpa, serviceMonitor, prometheusRule)" "$HELM" lint --strict "$CHART" \
  --set autoscaling.enabled=true --set metrics.serviceMonitor.enabled=true --set metrics.prometheusRule.enabled=true
check "helm lint --strict (metrics disabled)" "$HELM" lint --strict "$CHART" --set metrics.enabled=false

# --- (a) defaults (with a recognisable URL) -----------------------------------
A="$TMP/a.yaml"
render "$A" --set "database.url=$SECRET_URL"

check "a: one Deployment" test "$(grep -c '^kind: Deployment$' "$A")" -eq 1
check "a: readiness probe is gRPC on 50051" \
  eval "probe '$A' readinessProbe | grep -A1 -E '^ *grpc:\$' | grep -Eq '^ *port: 50051\$'"
check "a: startup probe is gRPC on 50051" \
  eval "probe '$A' startupProbe | grep -A1 -E '^ *grpc:\$' | grep -Eq '^ *port: 50051\$'"
check "a: liveness probe is tcpSocket" \
  eval "probe '$A' livenessProbe | grep -Eq '^ *tcpSocket:\$'"
check_not "a: liveness probe is not gRPC health" \
  eval "probe '$A' livenessProbe | grep -Eq '^ *grpc:\$'"
check "a: container port 50051 named grpc" \
  eval "docs '$A' Deployment | grep -B1 -E '^ *containerPort: 50051\$' | grep -Eq 'name: grpc\$'"
check "a: instance id is the pod name" \
  eval "docs '$A' Deployment | grep -A3 -E '^ *- name: DNSD_INSTANCE_ID\$' | grep -Eq 'fieldPath: metadata.name\$'"
check "a: runAsNonRoot true" has "$A" Deployment '^ *runAsNonRoot: true$'
check "a: runAsUser 10001" has "$A" Deployment '^ *runAsUser: 10001$'
check "a: fsGroup set" has "$A" Deployment '^ *fsGroup: [0-9]+$'
check "a: readOnlyRootFilesystem true" has "$A" Deployment '^ *readOnlyRootFilesystem: true$'
check "a: allowPrivilegeEscalation false" has "$A" Deployment '^ *allowPrivilegeEscalation: false$'
check "a: capabilities drop ALL" \
  eval "docs '$A' Deployment | grep -A1 -E '^ *drop:\$' | grep -Eq -- '- ALL\$'"
check "a: replicas 2" has "$A" Deployment '^  replicas: 2$'
check "a: checksum/config pod annotation" has "$A" Deployment '^ *checksum/config: [0-9a-f]{64}$'
check "a: log format json by default" has "$A" ConfigMap '^ *DNSD_LOG_FORMAT: "?json"?$'
check "a: DNSD_LISTEN on 50051" has "$A" ConfigMap '^ *DNSD_LISTEN: "?0\.0\.0\.0:50051"?$'
check "a: numbers rendered as integers" has "$A" ConfigMap '^ *DNSD_MAX_TTL: "604800"$'
check "a: health monitor settings in the environment" \
  has "$A" ConfigMap '^ *DNSD_HEALTH_CHECK_INTERVAL: "?10s"?$'
check "a: watch buffer in the environment" has "$A" ConfigMap '^ *DNSD_WATCH_BUFFER: "1024"$'
check "a: authentication on by default" has "$A" ConfigMap '^ *DNSD_AUTH: "true"$'
check "a: DNSD_DATABASE_URL from a secretKeyRef" \
  eval "docs '$A' Deployment | grep -A2 -E -- '- name: DNSD_DATABASE_URL\$' | grep -Eq 'secretKeyRef:'"
check "a: at least one ConfigMap rendered" has "$A" ConfigMap '^kind: ConfigMap$'
check_not "a: no DATABASE_URL in any ConfigMap" has "$A" ConfigMap 'DATABASE_URL|database-url'
check_not "a: no database URL value in any ConfigMap" has "$A" ConfigMap "postgres(ql)?://|S3cretPassw0rd|$SECRET_B64"
check_not "a: URL never in plain text anywhere" grep -q 'S3cretPassw0rd' "$A"
check "a: chart Secret holds the URL" has "$A" Secret "database-url: \"?$SECRET_B64\"?\$"
check "a: DNSD_MIGRATE_ON_START is \"false\" (job enabled)" test "$(env_value "$A" DNSD_MIGRATE_ON_START)" = '"false"'
check "a: migration Job rendered" has "$A" Job '^kind: Job$'
check "a: Job has helm.sh/hook pre-install,pre-upgrade" has "$A" Job '^ *"?helm\.sh/hook"?: "?pre-install,pre-upgrade"?$'
check "a: Job runs dnsd migrate" has "$A" Job 'args: \["migrate"\]'
check "a: Job pod runs as non-root" has "$A" Job '^ *runAsNonRoot: true$'
check "a: hook Secret for the Job is a hook created before it" \
  eval "docs '$A' Secret | grep -Eq 'helm\.sh/hook-weight: \"-10\"'"
check "a: Service ClusterIP" has "$A" Service '^  type: ClusterIP$'
check "a: Service port 50051 named grpc" \
  eval "docs '$A' Service | grep -A1 -E -- '- name: grpc\$' | grep -Eq 'port: 50051\$'"
check "a: PodDisruptionBudget minAvailable 1" has "$A" PodDisruptionBudget '^  minAvailable: 1$'
check "a: container port 9464 named metrics" \
  eval "docs '$A' Deployment | grep -B1 -E '^ *containerPort: 9464\$' | grep -Eq 'name: metrics\$'"
check "a: DNSD_METRICS_LISTEN on 9464" has "$A" ConfigMap '^ *DNSD_METRICS_LISTEN: "?0\.0\.0\.0:9464"?$'
check "a: Deployment takes its env from that ConfigMap" \
  eval "docs '$A' Deployment | grep -A1 -E '^ *- configMapRef:\$' | grep -Eq 'name: dns-v1\$'"
check "a: Service port 9464 named metrics" \
  eval "docs '$A' Service | grep -A2 -E -- '- name: metrics\$' | grep -Eq '^ *port: 9464\$'"
check "a: pod annotation prometheus.io/scrape" has "$A" Deployment '^ *prometheus\.io/scrape: "true"$'
check "a: pod annotation prometheus.io/port" has "$A" Deployment '^ *prometheus\.io/port: "9464"$'
check "a: pod annotation prometheus.io/path" has "$A" Deployment '^ *prometheus\.io/path: "?/metrics"?$'
check_not "a: migration Job pod not annotated for scraping" has "$A" Job 'prometheus\.io/'
check_not "a: no ServiceMonitor by default" grep -q '^kind: ServiceMonitor$' "$A"
check_not "a: no PrometheusRule by default" grep -q '^kind: PrometheusRule$' "$A"
check_not "a: no HPA by default" grep -q '^kind: HorizontalPodAutoscaler$' "$A"

# --- (b) existing Secret ------------------------------------------------------
B="$TMP/b.yaml"
render "$B" --set database.existingSecret=dns-db --set database.existingSecretKey=url \
  --set secretKey.existingSecret=dns-sealing
check "b: DNSD_SECRET_KEY comes from the sealing Secret" \
  eval "docs '$B' Deployment | grep -A4 -E -- '- name: DNSD_SECRET_KEY\$' | grep -A1 -E 'name: dns-sealing\$' | grep -Eq 'key: secret-key\$'"
check_not "b: no Secret rendered" grep -q '^kind: Secret$' "$B"
check "b: Deployment reads the existing Secret" \
  eval "docs '$B' Deployment | grep -A4 -E -- '- name: DNSD_DATABASE_URL\$' | grep -A1 -E 'name: dns-db\$' | grep -Eq 'key: url\$'"
check "b: Job reads the existing Secret" \
  eval "docs '$B' Job | grep -A4 -E -- '- name: DNSD_DATABASE_URL\$' | grep -A1 -E 'name: dns-db\$' | grep -Eq 'key: url\$'"
check_not "b: no checksum/secret annotation" has "$B" Deployment 'checksum/secret'
check_not "b: no database URL in any ConfigMap" has "$B" ConfigMap 'DATABASE_URL|postgres(ql)?://'

# --- (c) migration Job disabled -----------------------------------------------
C="$TMP/c.yaml"
render "$C" --set migrations.job.enabled=false
check_not "c: no Job" grep -q '^kind: Job$' "$C"
check_not "c: no hook resources" grep -q 'helm\.sh/hook' "$C"
check "c: DNSD_MIGRATE_ON_START is \"true\" (job disabled)" test "$(env_value "$C" DNSD_MIGRATE_ON_START)" = '"true"'
check "c: chart Secret still rendered" grep -q '^kind: Secret$' "$C"

# --- edge cases ---------------------------------------------------------------
D="$TMP/d.yaml"
render "$D" --set replicaCount=1
check_not "replicaCount=1: no PodDisruptionBudget" grep -q '^kind: PodDisruptionBudget$' "$D"
E="$TMP/e.yaml"
render "$E" --set metrics.enabled=true --set metrics.serviceMonitor.enabled=true --set autoscaling.enabled=true
check "metrics+serviceMonitor: ServiceMonitor rendered" grep -q '^kind: ServiceMonitor$' "$E"
check "serviceMonitor: endpoint port metrics" has "$E" ServiceMonitor '^ *- port: metrics$'
check "serviceMonitor: endpoint path /metrics" has "$E" ServiceMonitor '^ *path: /metrics$'
check "serviceMonitor: selects the Service by its labels" \
  eval "docs '$E' ServiceMonitor | block matchLabels | grep -Eq 'app.kubernetes.io/instance: dns-v1\$'"
check "serviceMonitor: the Service it selects has the metrics port" \
  eval "docs '$E' Service | grep -Eq -- '- name: metrics\$'"
check "autoscaling: HPA rendered" grep -q '^kind: HorizontalPodAutoscaler$' "$E"
check_not "autoscaling: Deployment leaves replicas to the HPA" has "$E" Deployment '^  replicas:'
check "autoscaling minReplicas 2: PodDisruptionBudget kept" grep -q '^kind: PodDisruptionBudget$' "$E"

# --- metrics ------------------------------------------------------------------
G="$TMP/g.yaml"
render "$G" --set metrics.enabled=false --set metrics.serviceMonitor.enabled=true \
  --set metrics.prometheusRule.enabled=true
check_not "metrics off: no metrics container port" has "$G" Deployment 'name: metrics$|containerPort: 9464$'
check_not "metrics off: no metrics Service port" has "$G" Service 'name: metrics$|port: 9464$'
check "metrics off: DNSD_METRICS_LISTEN empty (dnsd default would listen)" \
  has "$G" ConfigMap '^ *DNSD_METRICS_LISTEN: ""$'
check_not "metrics off: no prometheus.io annotations" has "$G" Deployment 'prometheus\.io/'
check_not "metrics off: no ServiceMonitor even if enabled" grep -q '^kind: ServiceMonitor$' "$G"
check_not "metrics off: no PrometheusRule even if enabled" grep -q '^kind: PrometheusRule$' "$G"
P="$TMP/p.yaml"
render "$P" --set metrics.port=9100 --set metrics.path=/m
check "metrics.port: container port 9100 named metrics" \
  eval "docs '$P' Deployment | grep -B1 -E '^ *containerPort: 9100\$' | grep -Eq 'name: metrics\$'"
check "metrics.port: DNSD_METRICS_LISTEN follows" has "$P" ConfigMap '^ *DNSD_METRICS_LISTEN: "?0\.0\.0\.0:9100"?$'
check "metrics.port: annotation follows" has "$P" Deployment '^ *prometheus\.io/port: "9100"$'
check "metrics.path: annotation follows" has "$P" Deployment '^ *prometheus\.io/path: "?/m"?$'
O="$TMP/o.yaml"
render "$O" --set-string 'podAnnotations.prometheus\.io/scrape=false'
check "podAnnotations override the scrape annotation" has "$O" Deployment '^ *prometheus\.io/scrape: "false"$'
check_not "podAnnotations override: no duplicate key" has "$O" Deployment '^ *prometheus\.io/scrape: "true"$'
check_not "config.metricsListen refused (set by metrics.*)" \
  "$HELM" template dns-v1 "$CHART" --set config.metricsListen=0.0.0.0:1
R="$TMP/r.yaml"
render "$R" --set metrics.prometheusRule.enabled=true --set metrics.prometheusRule.labels.release=kps \
  --set metrics.prometheusRule.additionalRuleLabels.team=dns
check "prometheusRule: rendered when enabled" grep -q '^kind: PrometheusRule$' "$R"
check "prometheusRule: metadata labels" has "$R" PrometheusRule '^    release: kps$'
ALERTS="DnsdPowerDnsServerUnreachable DnsdPropagationLag DnsdCircuitBreakerOpen DnsdNoLeader
  DnsdServerUnavailable DnsdServerDegraded DnsdServerHealthAlert"
for alert in $ALERTS; do
  check "prometheusRule: alert $alert" has "$R" PrometheusRule "^ *- alert: $alert\$"
done
check "prometheusRule: additionalRuleLabels on every alert" \
  test "$(docs "$R" PrometheusRule | grep -Ec '^ *team: dns$')" -eq "$(echo $ALERTS | wc -w)"
check "prometheusRule: every alert has a severity" \
  test "$(docs "$R" PrometheusRule | grep -Ec '^ *severity: (critical|warning)$')" -eq "$(echo $ALERTS | wc -w)"
check "prometheusRule: scoped to the release's job and namespace" \
  has "$R" PrometheusRule 'dnsd_leader\{job="dns-v1",namespace="dns"\}'
R2="$TMP/r2.yaml"
render "$R2" --set metrics.prometheusRule.enabled=true \
  --set metrics.prometheusRule.propagationLag.thresholdSeconds=900 \
  --set metrics.prometheusRule.circuitBreakerOpen.for=7m \
  --set-string 'metrics.prometheusRule.selector=job="kubernetes-pods"\,app="dnsd"'
check "prometheusRule: propagation threshold from values" \
  has "$R2" PrometheusRule 'dnsd_propagation_oldest_pending_seconds\{.*\}\) > 900$'
check "prometheusRule: circuit breaker for from values" \
  eval "docs '$R2' PrometheusRule | grep -A3 -- '- alert: DnsdCircuitBreakerOpen' | grep -Eq '^ *for: 7m\$'"
check "prometheusRule: selector from values" has "$R2" PrometheusRule 'dnsd_leader\{job="kubernetes-pods",app="dnsd"\}'

# promtool: the rule groups as Prometheus loads them, and the alerts' unit
# tests. promtool resolves the test file's rule_files against the test file's
# directory, so the test file is copied next to the rendered rules.
if command -v promtool >/dev/null 2>&1; then
  # promtool_check DESCRIPTION promtool-args...: like check, but shows
  # promtool's report when it fails.
  promtool_check() {
    local what="$1"; shift
    local out
    if out="$(promtool "$@" 2>&1)"; then ok "$what"; else bad "$what"; printf '%s\n' "$out" | sed 's/^/      /'; fi
  }
  mkdir -p "$TMP/rules" "$TMP/rules2"
  rule_groups "$R" >"$TMP/rules/rules.yaml"
  rule_groups "$R2" >"$TMP/rules2/rules.yaml"
  check "prometheusRule: spec extracted" grep -q '^groups:$' "$TMP/rules/rules.yaml"
  promtool_check "promtool check rules (defaults)" check rules "$TMP/rules/rules.yaml"
  promtool_check "promtool check rules (thresholds, selector)" check rules "$TMP/rules2/rules.yaml"
  # The unit tests expect the default thresholds and no additional labels.
  T="$TMP/t.yaml"
  render "$T" --set metrics.prometheusRule.enabled=true
  mkdir -p "$TMP/unit"
  rule_groups "$T" >"$TMP/unit/rules.yaml"
  cp "$CHART/tests/prometheusrule_test.yaml" "$TMP/unit/"
  promtool_check "promtool test rules (tests/prometheusrule_test.yaml)" \
    test rules "$TMP/unit/prometheusrule_test.yaml"
else
  bad "promtool not found: install Debian's prometheus package (deploy/setup-debian.sh does); the alert checks need it"
fi

printf 'config:\n  maxTtl: 1000000\n  defaultNameservers: [ns1.example.net, ns2.example.net]\n' >"$TMP/v.yaml"
F="$TMP/f.yaml"
render "$F" -f "$TMP/v.yaml"
check "values file: large number not in e-notation" has "$F" ConfigMap '^ *DNSD_MAX_TTL: "1000000"$'
check "values file: nameserver list joined" has "$F" ConfigMap '^ *DNSD_DEFAULT_NAMESERVERS: "?ns1\.example\.net,ns2\.example\.net"?$'
check_not "no URL and no existingSecret: render fails" \
  "$HELM" template dns-v1 "$CHART" --set database.url=
check_not "config.databaseUrl refused (URL must stay in the Secret)" \
  "$HELM" template dns-v1 "$CHART" --set config.databaseUrl=postgresql://x@y/z

# --- pod security (defaults: Deployment and migration Job) -------------------
# podsec FILE KIND: the pod's securityContext; ctrsec FILE KIND: the first
# container's (the pod's comes first in the pod spec, before `containers:`).
podsec() { docs "$1" "$2" | block securityContext; }
ctrsec() { docs "$1" "$2" | block containers | block securityContext; }
# The image's USER (deploy/Dockerfile), which runAsUser must match.
IMAGE_UID="$(sed -n 's/^USER \([0-9][0-9]*\):\([0-9][0-9]*\)$/\1/p' "$ROOT/deploy/Dockerfile")"
IMAGE_GID="$(sed -n 's/^USER \([0-9][0-9]*\):\([0-9][0-9]*\)$/\2/p' "$ROOT/deploy/Dockerfile")"
check "Dockerfile: numeric non-root USER uid:gid" test -n "$IMAGE_UID" -a "${IMAGE_UID:-0}" != 0
for kind in Deployment Job; do
  check "$kind pod: runAsNonRoot true" eval "podsec '$A' $kind | grep -Eq '^ *runAsNonRoot: true\$'"
  check "$kind pod: runAsUser is the image's user ($IMAGE_UID)" \
    eval "podsec '$A' $kind | grep -Eq '^ *runAsUser: $IMAGE_UID\$'"
  check "$kind pod: runAsGroup is the image's group ($IMAGE_GID)" \
    eval "podsec '$A' $kind | grep -Eq '^ *runAsGroup: $IMAGE_GID\$'"
  check "$kind pod: fsGroup $IMAGE_GID" eval "podsec '$A' $kind | grep -Eq '^ *fsGroup: $IMAGE_GID\$'"
  check "$kind pod: seccompProfile RuntimeDefault" \
    eval "podsec '$A' $kind | grep -A1 -E '^ *seccompProfile:\$' | grep -Eq 'type: RuntimeDefault\$'"
  check "$kind pod: no service account token" has "$A" $kind '^ *automountServiceAccountToken: false$'
  check "$kind container: allowPrivilegeEscalation false" \
    eval "ctrsec '$A' $kind | grep -Eq '^ *allowPrivilegeEscalation: false\$'"
  check "$kind container: readOnlyRootFilesystem true" \
    eval "ctrsec '$A' $kind | grep -Eq '^ *readOnlyRootFilesystem: true\$'"
  check "$kind container: privileged false" eval "ctrsec '$A' $kind | grep -Eq '^ *privileged: false\$'"
  check "$kind container: capabilities drop ALL" \
    eval "ctrsec '$A' $kind | grep -A1 -E '^ *drop:\$' | grep -Eq -- '- ALL\$'"
  check_not "$kind container: no capabilities added" eval "ctrsec '$A' $kind | grep -Eq '^ *add:'"
  check "$kind: writable /tmp is an emptyDir" \
    eval "docs '$A' $kind | grep -A1 -E -- '- name: tmp\$' | grep -Eq 'mountPath: /tmp\$' &&
          docs '$A' $kind | block volumes | grep -A1 -E -- '- name: tmp\$' | grep -Eq 'emptyDir:\$'"
done
check_not "defaults: no TLS settings" has "$A" ConfigMap 'DNSD_TLS_|DNSD_PDNS_TLS_CA_FILE'
check_not "defaults: no bootstrap token" has "$A" ConfigMap 'DNSD_AUTH_BOOTSTRAP'
check_not "defaults: nothing mounted under /etc/dnsd" grep -q '/etc/dnsd' "$A"
check_not "defaults: no bootstrap token Secret" has "$A" Secret 'bootstrap-token'

# --- TLS, mTLS, PowerDNS CA, bootstrap token from an existing Secret ----------
cat >"$TMP/tls.yaml" <<'EOF'
tls:
  enabled: true
  existingSecret: dns-tls
  reloadInterval: 5m
  clientCA:
    existingSecret: dns-client-ca
pdnsTls:
  caSecret: pdns-ca
  caSecretKey: bundle.pem
auth:
  bootstrapToken:
    existingSecret: dns-bootstrap
    existingSecretKey: admin-token
    name: praho-admin
EOF
check "helm lint --strict (TLS, mTLS, PowerDNS CA, bootstrap token)" \
  "$HELM" lint --strict "$CHART" -f "$TMP/tls.yaml"
S="$TMP/s.yaml"
render "$S" -f "$TMP/tls.yaml"
# volume FILE NAME: the Deployment's volume NAME (its lines); mount FILE NAME: its mount.
volume() { docs "$1" Deployment | block volumes | awk -v n="$2" '
  !on { if ($0 ~ "^ *- name: " n "$") { on = 1; match($0, "^ *"); ind = RLENGTH; print }; next }
  { match($0, "^ *"); if (RLENGTH <= ind) exit; print }'; }
mount() { docs "$1" Deployment | block volumeMounts | grep -A2 -E -- "- name: $2\$"; }
check "tls: cert Secret mounted as a volume" eval "volume '$S' tls | grep -Eq 'secretName: dns-tls\$'"
check "tls: the volume projects tls.crt and tls.key" \
  eval "volume '$S' tls | grep -Eq 'key: tls\.crt\$' && volume '$S' tls | grep -Eq 'key: tls\.key\$'"
check "tls: Secret files readable by the pod's group only" eval "volume '$S' tls | grep -Eq 'defaultMode: 0?440\$'"
check "tls: mounted read-only at /etc/dnsd/tls" \
  eval "mount '$S' tls | grep -Eq 'mountPath: /etc/dnsd/tls\$' && mount '$S' tls | grep -Eq 'readOnly: true\$'"
check "tls: DNSD_TLS_CERT_FILE" has "$S" ConfigMap '^ *DNSD_TLS_CERT_FILE: "?/etc/dnsd/tls/tls\.crt"?$'
check "tls: DNSD_TLS_KEY_FILE" has "$S" ConfigMap '^ *DNSD_TLS_KEY_FILE: "?/etc/dnsd/tls/tls\.key"?$'
check "tls: DNSD_TLS_RELOAD_INTERVAL from tls.reloadInterval" has "$S" ConfigMap '^ *DNSD_TLS_RELOAD_INTERVAL: "?5m"?$'
check "mtls: client CA Secret mounted" eval "volume '$S' client-ca | grep -Eq 'secretName: dns-client-ca\$'"
check "mtls: mounted read-only at /etc/dnsd/client-ca" \
  eval "mount '$S' client-ca | grep -Eq 'mountPath: /etc/dnsd/client-ca\$' && mount '$S' client-ca | grep -Eq 'readOnly: true\$'"
check "mtls: DNSD_TLS_CLIENT_CA_FILE (key ca.crt by default)" \
  has "$S" ConfigMap '^ *DNSD_TLS_CLIENT_CA_FILE: "?/etc/dnsd/client-ca/ca\.crt"?$'
check "pdns ca: Secret mounted with its key" \
  eval "volume '$S' pdns-ca | grep -Eq 'secretName: pdns-ca\$' && volume '$S' pdns-ca | grep -Eq 'key: bundle\.pem\$'"
check "pdns ca: mounted read-only at /etc/dnsd/pdns-ca" \
  eval "mount '$S' pdns-ca | grep -Eq 'mountPath: /etc/dnsd/pdns-ca\$' && mount '$S' pdns-ca | grep -Eq 'readOnly: true\$'"
check "pdns ca: DNSD_PDNS_TLS_CA_FILE" has "$S" ConfigMap '^ *DNSD_PDNS_TLS_CA_FILE: "?/etc/dnsd/pdns-ca/bundle\.pem"?$'
check "bootstrap (existing): Secret key projected as the file token" \
  eval "volume '$S' bootstrap-token | grep -Eq 'secretName: dns-bootstrap\$' &&
        volume '$S' bootstrap-token | grep -A1 -E 'key: admin-token\$' | grep -Eq 'path: token\$'"
check "bootstrap (existing): mounted read-only" \
  eval "mount '$S' bootstrap-token | grep -Eq 'mountPath: /etc/dnsd/bootstrap-token\$' && mount '$S' bootstrap-token | grep -Eq 'readOnly: true\$'"
check "bootstrap (existing): DNSD_AUTH_BOOTSTRAP_TOKEN_FILE" \
  has "$S" ConfigMap '^ *DNSD_AUTH_BOOTSTRAP_TOKEN_FILE: "?/etc/dnsd/bootstrap-token/token"?$'
check "bootstrap (existing): DNSD_AUTH_BOOTSTRAP_TOKEN_NAME" has "$S" ConfigMap '^ *DNSD_AUTH_BOOTSTRAP_TOKEN_NAME: "?praho-admin"?$'
check_not "bootstrap (existing): the chart makes no token Secret" has "$S" Secret 'component: bootstrap-token$'
check_not "bootstrap (existing): token Secret never read into an env var" \
  eval "docs '$S' Deployment | grep -B3 -E 'name: dns-bootstrap\$' | grep -Eq 'secretKeyRef:'"
check_not "no subPath mounts (renewed Secrets would not reach the pod)" grep -q 'subPath' "$S"
check "tls: readiness probe is HTTP /readyz on the metrics port" \
  eval "probe '$S' readinessProbe | grep -A3 -E '^ *httpGet:\$' | grep -Eq 'path: /readyz\$' &&
        probe '$S' readinessProbe | grep -A3 -E '^ *httpGet:\$' | grep -Eq 'port: metrics\$'"
check "tls: startup probe is HTTP /readyz on the metrics port" \
  eval "probe '$S' startupProbe | grep -A3 -E '^ *httpGet:\$' | grep -Eq 'path: /readyz\$' &&
        probe '$S' startupProbe | grep -A3 -E '^ *httpGet:\$' | grep -Eq 'port: metrics\$'"
check "tls: liveness probe is HTTP /healthz on the metrics port" \
  eval "probe '$S' livenessProbe | grep -A3 -E '^ *httpGet:\$' | grep -Eq 'path: /healthz\$' &&
        probe '$S' livenessProbe | grep -A3 -E '^ *httpGet:\$' | grep -Eq 'port: metrics\$'"
check "tls: probes keep their timings" \
  eval "probe '$S' startupProbe | grep -Eq '^ *failureThreshold: 60\$'"
check_not "tls: no gRPC or TCP probe left (they cannot speak TLS)" \
  eval "docs '$S' Deployment | grep -Eq '^ *(grpc|tcpSocket):\$'"
check "tls: metrics port still exposed for the probes" \
  eval "docs '$S' Deployment | grep -B1 -E '^ *containerPort: 9464\$' | grep -Eq 'name: metrics\$'"
check_not "tls: the migration Job mounts none of it" eval "docs '$S' Job | grep -Eq '/etc/dnsd|secretName'"
check_not "tls: probes stay gRPC without TLS" eval "probe '$A' readinessProbe | grep -Eq 'httpGet'"
S2="$TMP/s2.yaml"
render "$S2" --set tls.enabled=true --set tls.existingSecret=dns-tls \
  --set tls.clientCA.existingSecret=dns-tls --set tls.clientCA.existingSecretKey=ca.pem
check "tls: reload interval defaults to 60s" has "$S2" ConfigMap '^ *DNSD_TLS_RELOAD_INTERVAL: "?60s"?$'
check "mtls: client CA key follows existingSecretKey" \
  has "$S2" ConfigMap '^ *DNSD_TLS_CLIENT_CA_FILE: "?/etc/dnsd/client-ca/ca\.pem"?$'
check_not "pdns ca: unset by default" has "$S2" ConfigMap 'DNSD_PDNS_TLS_CA_FILE'
S3="$TMP/s3.yaml"
render "$S3" --set tls.enabled=true --set tls.existingSecret=dns-tls --set podSecurityContext.fsGroup=null
check "without fsGroup the Secret files are world-readable (else root's only)" \
  eval "volume '$S3' tls | grep -Eq 'defaultMode: 0?444\$'"
# fails_with DESCRIPTION REGEX helm-template-args...: rendering fails and says REGEX.
fails_with() {
  local what="$1" re="$2"; shift 2
  if "$HELM" template dns-v1 "$CHART" "$@" >"$TMP/fail.out" 2>&1; then
    bad "$what: rendered"
  elif grep -Eq -- "$re" "$TMP/fail.out"; then
    ok "$what"
  else
    bad "$what: $(head -c 300 "$TMP/fail.out")"
  fi
}
fails_with "tls.enabled without existingSecret fails, naming tls.existingSecret" \
  'tls\.enabled=true needs tls\.existingSecret' --set tls.enabled=true
fails_with "tls with metrics off fails, explaining the probes" \
  'gRPC probes cannot speak TLS' --set tls.enabled=true --set tls.existingSecret=dns-tls --set metrics.enabled=false
fails_with "client CA without TLS fails" 'tls\.clientCA\.existingSecret .*needs tls\.enabled' \
  --set tls.clientCA.existingSecret=dns-ca
fails_with "config.tlsCertFile refused (set from tls.*)" 'set by the chart from mounted Secrets' \
  --set config.tlsCertFile=/x
fails_with "config.authBootstrapTokenFile refused" 'set by the chart from mounted Secrets' \
  --set config.authBootstrapTokenFile=/x
fails_with "bootstrap token: existingSecret and create together refused" 'not both' \
  --set auth.bootstrapToken.existingSecret=x --set auth.bootstrapToken.create=true
E2="$TMP/e2.out"
"$HELM" template dns-v1 "$CHART" --set "config.databaseUrl=$SECRET_URL" >"$E2" 2>&1
check_not "a refused URL is not echoed in the error" grep -q 'S3cretPassw0rd' "$E2"
printf 'metrics:\n  enabled: false\ntls:\n  enabled: true\n  existingSecret: dns-tls\nstartupProbe:\n  grpc: null\n  exec: {command: [/bin/true]}\nreadinessProbe:\n  grpc: null\n  exec: {command: [/bin/true]}\nlivenessProbe:\n  tcpSocket: null\n  exec: {command: [/bin/true]}\n' >"$TMP/exec.yaml"
X="$TMP/x.yaml"
render "$X" -f "$TMP/exec.yaml"
check "tls with metrics off renders with exec probes of one's own" \
  eval "probe '$X' readinessProbe | grep -Eq '^ *exec:\$'"

# --- bootstrap token made by the chart ----------------------------------------
K="$TMP/k.yaml"
render "$K" --set auth.bootstrapToken.create=true
TOKEN_B64="$(docs "$K" Secret | awk '/^  name: dns-v1-bootstrap-token$/ { on = 1 } on && /^  token: / { print $2; exit }' | tr -d '"')"
TOKEN="$(printf '%s' "$TOKEN_B64" | base64 -d 2>/dev/null)"
check "bootstrap (create): Secret dns-v1-bootstrap-token with key token" test -n "$TOKEN_B64"
check "bootstrap (create): token is dnsv1_ + 43 random characters" eval "[[ '$TOKEN' =~ ^dnsv1_[A-Za-z0-9]{43}\$ ]]"
check "bootstrap (create): kept on uninstall (the database keeps the token)" \
  has "$K" Secret '^ *helm\.sh/resource-policy: keep$'
check "bootstrap (create): Secret mounted" eval "volume '$K' bootstrap-token | grep -Eq 'secretName: dns-v1-bootstrap-token\$'"
check "bootstrap (create): DNSD_AUTH_BOOTSTRAP_TOKEN_FILE" \
  has "$K" ConfigMap '^ *DNSD_AUTH_BOOTSTRAP_TOKEN_FILE: "?/etc/dnsd/bootstrap-token/token"?$'
check_not "bootstrap (create): no name set (dnsd's default)" has "$K" ConfigMap 'DNSD_AUTH_BOOTSTRAP_TOKEN_NAME'
check_not "bootstrap (create): token never in the ConfigMap" has "$K" ConfigMap "dnsv1_|${TOKEN:-no-token}|${TOKEN_B64:-no-token}"
check_not "bootstrap (create): token never in the Deployment or Job" \
  eval "docs '$K' Deployment | grep -Eq 'dnsv1_|${TOKEN:-no-token}|${TOKEN_B64:-no-token}' ||
        docs '$K' Job | grep -Eq 'dnsv1_|${TOKEN:-no-token}|${TOKEN_B64:-no-token}'"
check_not "bootstrap (create): token never in plain text anywhere" grep -q "dnsv1_" "$K"
check_not "bootstrap (create): no env var holds it" \
  eval "docs '$K' Deployment | grep -A3 -E -- '- name: DNSD_AUTH_BOOTSTRAP' | grep -Eq 'value:|secretKeyRef:'"
K2="$TMP/k2.yaml"
render "$K2" --set auth.bootstrapToken.create=true
check "bootstrap (create): random (two renders without a cluster differ)" \
  test "$(grep -A0 '^  token: ' "$K")" != "$(grep -A0 '^  token: ' "$K2")"
check "bootstrap (create): the token Secret leaves checksum/secret alone" \
  test "$(docs "$K" Deployment | grep checksum/secret)" = "$(docs "$K2" Deployment | grep checksum/secret)"

# notes ARGS...: NOTES.txt rendered with those values (helm template does not
# render NOTES.txt, so a copy of the chart wraps it in a template of its own).
notes() {
  rm -rf "$TMP/notes" && cp -r "$CHART" "$TMP/notes"
  { echo '{{- define "chart-test.notes" -}}'; cat "$CHART/templates/NOTES.txt"; echo '{{- end }}'; } \
    >"$TMP/notes/templates/_chart_test_notes.tpl"
  printf 'kind: Notes\nnotes: |\n  {{- include "chart-test.notes" . | nindent 2 }}\n' \
    >"$TMP/notes/templates/chart-test-notes.yaml"
  "$HELM" template dns-v1 "$TMP/notes" --namespace dns "$@" --show-only templates/chart-test-notes.yaml 2>&1
}
check "NOTES: how to read the bootstrap token" \
  eval "notes --set auth.bootstrapToken.create=true | grep -Fq \"kubectl -n dns get secret dns-v1-bootstrap-token -o jsonpath='{.data.token}' | base64 -d\""
check "NOTES: a key with a dot is escaped in the jsonpath" \
  eval "notes --set auth.bootstrapToken.existingSecret=bt --set auth.bootstrapToken.existingSecretKey=a.b | grep -Fq \"jsonpath='{.data.a\\\\.b}'\""
check_not "NOTES: never the token itself" eval "notes --set auth.bootstrapToken.create=true | grep -q dnsv1_"
check "NOTES: grpcurl with the CA and client certificate under mTLS" \
  eval "notes -f '$TMP/tls.yaml' | grep -Eq 'grpcurl -cacert ca\.crt -servername dns-v1\.dns\.svc -cert client\.crt -key client\.key localhost:50051 list'"
check "NOTES: plaintext without TLS" eval "notes | grep -Eq 'grpcurl -plaintext localhost:50051 list'"
check "NOTES: says when no client may connect" \
  eval "notes --set networkPolicy.allowedClients=null | grep -q 'NO client may connect'"

# --- NetworkPolicy ------------------------------------------------------------
# ingress_rule FILE PORT: the NetworkPolicy ingress rule that opens PORT.
np_ingress() { docs "$1" NetworkPolicy | block ingress; }
np_egress() { docs "$1" NetworkPolicy | block egress; }
# rule_with FILE SECTION PORT: the rule (ingress/egress list item) naming PORT.
rule_with() {
  "np_$2" "$1" | awk -v p="$3" '
    /^    - / { if (r ~ "port: " p "\n") { printf "%s", r; found = 1 } r = "" }
    { r = r $0 "\n" }
    END { if (!found && r ~ "port: " p "\n") printf "%s", r }'
}
check "networkPolicy: rendered by default" grep -q '^kind: NetworkPolicy$' "$A"
check "networkPolicy: selects the chart's pods" \
  eval "docs '$A' NetworkPolicy | block podSelector | block matchLabels | grep -Eq 'app.kubernetes.io/instance: dns-v1\$'"
check "networkPolicy: Ingress and Egress" \
  eval "docs '$A' NetworkPolicy | block policyTypes | tr -d ' ' | tr '\n' ' ' | grep -Fq -- '-Ingress -Egress'"
check "networkPolicy: gRPC from the release namespace's pods by default" \
  eval "rule_with '$A' ingress 50051 | grep -A1 -E 'from:\$' | grep -Eq -- '- podSelector: \{\}\$'"
check "networkPolicy: metrics from any namespace's pods by default" \
  eval "rule_with '$A' ingress 9464 | grep -A1 -E 'from:\$' | grep -Eq -- '- namespaceSelector: \{\}\$'"
check "networkPolicy: every ingress rule names its peers (no rule admits everyone)" \
  test "$(np_ingress "$A" | grep -Ec '^ *- from:$')" -eq "$(np_ingress "$A" | grep -Ec '^ *(- )?ports:$')"
check "networkPolicy: egress DNS (UDP and TCP 53) to kube-dns" \
  eval "rule_with '$A' egress 53 | grep -q 'protocol: UDP' && rule_with '$A' egress 53 | grep -q 'k8s-app: kube-dns'"
check "networkPolicy: egress PostgreSQL 5432" eval "np_egress '$A' | grep -Eq 'port: 5432\$'"
check "networkPolicy: egress PowerDNS API 8081" eval "np_egress '$A' | grep -Eq 'port: 8081\$'"
cat >"$TMP/np.yaml" <<'EOF'
networkPolicy:
  allowedClients:
    - namespaceSelector:
        matchLabels:
          kubernetes.io/metadata.name: praho
      podSelector:
        matchLabels:
          app: praho
    - ipBlock:
        cidr: 10.20.0.0/16
  metricsFrom:
    - namespaceSelector:
        matchLabels:
          kubernetes.io/metadata.name: monitoring
  egress:
    postgres:
      port: 6432
      to:
        - ipBlock:
            cidr: 10.30.0.5/32
    powerdns:
      apiPorts: [8081, 443]
      dnsPort: 5353
      to:
        - namespaceSelector:
            matchLabels:
              kubernetes.io/metadata.name: pdns
    extraEgress:
      - to:
          - ipBlock:
              cidr: 192.0.2.10/32
        ports:
          - port: 514
            protocol: UDP
EOF
check "helm lint --strict (networkPolicy peers)" "$HELM" lint --strict "$CHART" -f "$TMP/np.yaml"
N="$TMP/n.yaml"
render "$N" -f "$TMP/np.yaml"
check "networkPolicy: gRPC from the configured namespace+pod peer" \
  eval "rule_with '$N' ingress 50051 | grep -A5 -E -- '- namespaceSelector:\$' | grep -q 'kubernetes.io/metadata.name: praho' &&
        rule_with '$N' ingress 50051 | grep -q 'app: praho'"
check "networkPolicy: gRPC from the configured ipBlock" \
  eval "rule_with '$N' ingress 50051 | grep -A1 -E -- '- ipBlock:\$' | grep -Eq 'cidr: 10\.20\.0\.0/16\$'"
check_not "networkPolicy: the default peer is replaced" eval "rule_with '$N' ingress 50051 | grep -Fq 'podSelector: {}'"
check "networkPolicy: metrics only from monitoring" \
  eval "rule_with '$N' ingress 9464 | grep -q 'kubernetes.io/metadata.name: monitoring'"
check_not "networkPolicy: gRPC peers do not reach metrics" eval "rule_with '$N' ingress 9464 | grep -q praho"
check "networkPolicy: egress PostgreSQL port and peer from values" \
  eval "rule_with '$N' egress 6432 | grep -Eq 'cidr: 10\.30\.0\.5/32\$'"
check "networkPolicy: egress PowerDNS API ports from values" \
  eval "rule_with '$N' egress 443 | grep -Eq 'port: 8081\$' && rule_with '$N' egress 443 | grep -q 'kubernetes.io/metadata.name: pdns'"
check "networkPolicy: egress PowerDNS DNS port from values" \
  eval "rule_with '$N' egress 5353 | grep -q 'protocol: UDP'"
check "networkPolicy: extraEgress rendered as given" \
  eval "rule_with '$N' egress 514 | grep -Eq 'cidr: 192\.0\.2\.10/32\$'"
check_not "networkPolicy: nothing else open (no 5432 when postgres.port is 6432)" eval "np_egress '$N' | grep -Eq 'port: 5432\$'"
N2="$TMP/n2.yaml"
render "$N2" --set networkPolicy.allowedClients=null
check_not "networkPolicy: empty allowedClients closes gRPC (no rule, not an open one)" \
  eval "np_ingress '$N2' | grep -Eq 'port: 50051\$'"
check "networkPolicy: ... and keeps the metrics rule" eval "np_ingress '$N2' | grep -Eq 'port: 9464\$'"
N3="$TMP/n3.yaml"
render "$N3" --set networkPolicy.allowedClients=null --set networkPolicy.metricsFrom=null
check "networkPolicy: no peers at all: ingress: [] (nothing may connect)" has "$N3" NetworkPolicy '^  ingress: \[\]$'
N4="$TMP/n4.yaml"
render "$N4" --set metrics.enabled=false
check_not "networkPolicy: no metrics rule with metrics off" eval "np_ingress '$N4' | grep -Eq 'port: 9464\$'"
N5="$TMP/n5.yaml"
render "$N5" --set networkPolicy.egress.enabled=false
check_not "networkPolicy: egress.enabled=false leaves egress open" has "$N5" NetworkPolicy '^  egress:|- Egress$'
N6="$TMP/n6.yaml"
render "$N6" --set networkPolicy.enabled=false
check_not "networkPolicy: absent when disabled" grep -q '^kind: NetworkPolicy$' "$N6"
N7="$TMP/n7.yaml"
render "$N7" --set containerPort=8443 --set startupProbe.grpc.port=8443 --set readinessProbe.grpc.port=8443
check "networkPolicy: gRPC rule follows containerPort" eval "np_ingress '$N7' | grep -Eq 'port: 8443\$'"

# --- kubectl (only with a reachable API server; see the header) --------------
if [[ -n "$KUBECTL" ]] && "$KUBECTL" version --request-timeout=3s >/dev/null 2>&1; then
  for f in "$A" "$B" "$C" "$S" "$K" "$N"; do
    check "kubectl apply --dry-run=client $(basename "$f")" "$KUBECTL" apply --dry-run=client -f "$f"
  done
else
  echo "SKIP  kubectl validation: no Kubernetes API server reachable (kubectl cannot validate offline)"
fi

echo "$passed passed, $failed failed"
((failed == 0))
