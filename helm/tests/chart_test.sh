#!/usr/bin/env bash
# Checks for the dns-v1 Helm chart: `helm lint --strict`, then `helm template`
# with (a) defaults, (b) database.existingSecret, (c) migrations.job.enabled=false
# (plus metrics and a few edge cases), asserting on the rendered YAML with
# grep/awk; then the rendered PrometheusRule's rule groups go through
# `promtool check rules` and `promtool test rules` (tests/prometheusrule_test.yaml).
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

# --- kubectl (only with a reachable API server; see the header) --------------
if [[ -n "$KUBECTL" ]] && "$KUBECTL" version --request-timeout=3s >/dev/null 2>&1; then
  for f in "$A" "$B" "$C"; do
    check "kubectl apply --dry-run=client $(basename "$f")" "$KUBECTL" apply --dry-run=client -f "$f"
  done
else
  echo "SKIP  kubectl validation: no Kubernetes API server reachable (kubectl cannot validate offline)"
fi

echo "$passed passed, $failed failed"
((failed == 0))
