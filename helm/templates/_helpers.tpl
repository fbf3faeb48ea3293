{{/*
Chart name, truncated to 63 chars (DNS label limit).
*/}}
{{- define "dns-v1.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Fully qualified app name, truncated to 63 chars. If the release name contains
the chart name it is used as is.
*/}}
{{- define "dns-v1.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/*
Chart name and version for the chart label.
*/}}
{{- define "dns-v1.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Common labels.
*/}}
{{- define "dns-v1.labels" -}}
helm.sh/chart: {{ include "dns-v1.chart" . }}
{{ include "dns-v1.selectorLabels" . }}
{{- if .Chart.AppVersion }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- end }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: dns-v1
{{- end }}

{{/*
Selector labels (immutable on the Deployment: keep them minimal).
*/}}
{{- define "dns-v1.selectorLabels" -}}
app.kubernetes.io/name: {{ include "dns-v1.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/*
Container image reference.
*/}}
{{- define "dns-v1.image" -}}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion | toString) }}
{{- end }}

{{/*
The Secret holding the database URL, and its key.
*/}}
{{- define "dns-v1.databaseSecretName" -}}
{{- if .Values.database.existingSecret }}
{{- .Values.database.existingSecret }}
{{- else }}
{{- printf "%s-database" (include "dns-v1.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}

{{- define "dns-v1.databaseSecretKey" -}}
{{- required "database.existingSecretKey is required" .Values.database.existingSecretKey }}
{{- end }}

{{/*
The chart-created database URL (fails the render when neither a URL nor an
existing Secret is given).
*/}}
{{- define "dns-v1.databaseUrl" -}}
{{- required "set database.url, or database.existingSecret (+ existingSecretKey)" .Values.database.url }}
{{- end }}

{{/*
dnsd configuration as DNSD_* env vars (a YAML map, name -> string value),
from .Values.config. Keys are dnsd flag names in camelCase; empty values are
skipped so dnsd's default applies; lists are joined with commas; numbers are
rendered as integers (Helm reads YAML numbers as float64, which would print
1e+06). The database URL is refused here: it must stay in the Secret; the
listen addresses come from containerPort and metrics.*.
*/}}
{{- define "dns-v1.configEnv" -}}
{{- $env := dict }}
{{- range $key, $value := .Values.config }}
{{- $flag := snakecase $key }}
{{- if has $flag (list "database_url" "listen" "metrics_listen" "migrate_on_start" "secret_key") }}
{{- fail (printf "config.%s is set by the chart (database.*, containerPort, metrics.*, migrations.job.enabled, secretKey.*); remove it from config" $key) }}
{{- end }}
{{- if has $flag (list "tls_cert_file" "tls_key_file" "tls_client_ca_file" "tls_reload_interval" "pdns_tls_ca_file" "auth_bootstrap_token_file" "auth_bootstrap_token_name") }}
{{- fail (printf "config.%s is set by the chart from mounted Secrets (tls.*, pdnsTls.*, auth.bootstrapToken.*); remove it from config" $key) }}
{{- end }}
{{- $str := "" }}
{{- if kindIs "slice" $value }}
{{- $str = join "," $value }}
{{- else if kindIs "float64" $value }}
{{- if eq $value (floor $value) }}
{{- $str = $value | int64 | toString }}
{{- else }}
{{- $str = toString $value }}
{{- end }}
{{- else if not (kindIs "invalid" $value) }}
{{- $str = toString $value }}
{{- end }}
{{- if ne $str "" }}
{{- $_ := set $env (printf "DNSD_%s" (upper $flag)) $str }}
{{- end }}
{{- end }}
{{- $_ := set $env "DNSD_LISTEN" (printf "0.0.0.0:%d" (int .Values.containerPort)) }}
{{- /* Set even when disabled: left out, dnsd would listen on its default. */}}
{{- $_ := set $env "DNSD_METRICS_LISTEN" (ternary (printf "0.0.0.0:%d" (int .Values.metrics.port)) "" .Values.metrics.enabled) }}
{{- /* Paths of the files mounted from Secrets (see dns-v1.secretVolumes):
the paths are not secret, the files' contents never reach the environment. */}}
{{- if .Values.tls.enabled }}
{{- $_ := set $env "DNSD_TLS_CERT_FILE" "/etc/dnsd/tls/tls.crt" }}
{{- $_ := set $env "DNSD_TLS_KEY_FILE" "/etc/dnsd/tls/tls.key" }}
{{- with .Values.tls.reloadInterval }}
{{- $_ := set $env "DNSD_TLS_RELOAD_INTERVAL" (toString .) }}
{{- end }}
{{- if .Values.tls.clientCA.existingSecret }}
{{- $_ := set $env "DNSD_TLS_CLIENT_CA_FILE" (printf "/etc/dnsd/client-ca/%s" (include "dns-v1.clientCaKey" .)) }}
{{- end }}
{{- end }}
{{- if .Values.pdnsTls.caSecret }}
{{- $_ := set $env "DNSD_PDNS_TLS_CA_FILE" (printf "/etc/dnsd/pdns-ca/%s" (include "dns-v1.pdnsCaKey" .)) }}
{{- end }}
{{- if include "dns-v1.bootstrapTokenSecretName" . }}
{{- $_ := set $env "DNSD_AUTH_BOOTSTRAP_TOKEN_FILE" "/etc/dnsd/bootstrap-token/token" }}
{{- with .Values.auth.bootstrapToken.name }}
{{- $_ := set $env "DNSD_AUTH_BOOTSTRAP_TOKEN_NAME" (toString .) }}
{{- end }}
{{- end }}
{{- toYaml $env }}
{{- end }}

{{/*
Pod-level settings shared by the Deployment and the migration Job.
*/}}
{{- define "dns-v1.podCommon" -}}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.serviceAccountName }}
serviceAccountName: {{ . }}
{{- end }}
automountServiceAccountToken: {{ .Values.automountServiceAccountToken }}
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
{{- with .Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{/*
The DNSD_DATABASE_URL env var, read from the Secret.
*/}}
{{- define "dns-v1.databaseUrlEnv" -}}
- name: DNSD_DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ include "dns-v1.databaseSecretName" . }}
      key: {{ include "dns-v1.databaseSecretKey" . }}
{{- end }}

{{/*
Key names inside the CA Secrets (a key name is also the mounted file's name).
*/}}
{{- define "dns-v1.clientCaKey" -}}
{{- required "tls.clientCA.existingSecretKey is required" .Values.tls.clientCA.existingSecretKey }}
{{- end }}

{{- define "dns-v1.pdnsCaKey" -}}
{{- required "pdnsTls.caSecretKey is required" .Values.pdnsTls.caSecretKey }}
{{- end }}

{{/*
The Secret holding the bootstrap admin token, empty when there is none.
*/}}
{{- define "dns-v1.bootstrapTokenSecretName" -}}
{{- $bt := .Values.auth.bootstrapToken }}
{{- if and $bt.existingSecret $bt.create }}
{{- fail "auth.bootstrapToken: set existingSecret or create=true, not both" }}
{{- end }}
{{- if $bt.existingSecret }}
{{- $bt.existingSecret }}
{{- else if $bt.create }}
{{- printf "%s-bootstrap-token" (include "dns-v1.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}

{{/*
The key of the bootstrap token inside its Secret (`token` in the chart's own).
*/}}
{{- define "dns-v1.bootstrapTokenKey" -}}
{{- if .Values.auth.bootstrapToken.existingSecret }}
{{- required "auth.bootstrapToken.existingSecretKey is required" .Values.auth.bootstrapToken.existingSecretKey }}
{{- else }}
{{- "token" }}
{{- end }}
{{- end }}

{{/*
TLS settings checked once (the Deployment includes this): TLS needs its
Secret, and the probes it moves to the metrics listener need that listener.
*/}}
{{- define "dns-v1.validateTls" -}}
{{- if .Values.tls.enabled }}
{{- if not .Values.tls.existingSecret }}
{{- fail "tls.enabled=true needs tls.existingSecret: a kubernetes.io/tls Secret with tls.crt and tls.key (e.g. from cert-manager)" }}
{{- end }}
{{- end }}
{{- if and .Values.tls.clientCA.existingSecret (not .Values.tls.enabled) }}
{{- fail "tls.clientCA.existingSecret (client certificates, mTLS) needs tls.enabled=true and tls.existingSecret" }}
{{- end }}
{{- end }}

{{/*
A probe of the dnsd container: (dict "probe" <values probe> "path" <http
path> "root" $). Kubernetes' gRPC probes cannot speak TLS, so with
tls.enabled a grpc or tcpSocket probe becomes an HTTP GET of `path` on the
metrics listener (plain HTTP): /readyz for startup and readiness, /healthz
for liveness. Probes of any other kind (httpGet, exec) are kept as given.
*/}}
{{- define "dns-v1.probe" -}}
{{- $probe := deepCopy .probe }}
{{- $values := .root.Values }}
{{- if and $values.tls.enabled (or (hasKey $probe "grpc") (hasKey $probe "tcpSocket")) }}
{{- if not $values.metrics.enabled }}
{{- fail "tls.enabled=true with metrics.enabled=false: Kubernetes gRPC probes cannot speak TLS, so with TLS the probes use the metrics listener's /healthz and /readyz. Keep metrics.enabled=true (networkPolicy.metricsFrom decides who may reach it), or give startupProbe, readinessProbe and livenessProbe httpGet or exec probes of your own (with grpc: null / tcpSocket: null)" }}
{{- end }}
{{- $_ := unset $probe "grpc" }}
{{- $_ := unset $probe "tcpSocket" }}
{{- $_ := set $probe "httpGet" (dict "path" .path "port" "metrics" "scheme" "HTTP") }}
{{- end }}
{{- toYaml $probe }}
{{- end }}

{{/*
Volumes holding files from Secrets, for the dnsd container (the mounts are
dns-v1.secretVolumeMounts). Whole directories, never subPath: kubelet
replaces a mounted Secret's files in place when the Secret changes (a renewed
certificate), which a subPath mount would not see. Readable by the pod's
group only when the pod has an fsGroup (kubelet then gives the files that
group), else by everyone in the container (they would be root's otherwise).
*/}}
{{- define "dns-v1.secretMode" -}}
{{- ternary "0440" "0444" (and (hasKey .Values.podSecurityContext "fsGroup") (not (kindIs "invalid" .Values.podSecurityContext.fsGroup))) }}
{{- end }}

{{- define "dns-v1.secretVolumes" -}}
{{- if .Values.tls.enabled }}
- name: tls
  secret:
    secretName: {{ .Values.tls.existingSecret }}
    defaultMode: {{ include "dns-v1.secretMode" $ }}
    items:
      - key: tls.crt
        path: tls.crt
      - key: tls.key
        path: tls.key
{{- with .Values.tls.clientCA.existingSecret }}
- name: client-ca
  secret:
    secretName: {{ . }}
    defaultMode: {{ include "dns-v1.secretMode" $ }}
    items:
      - key: {{ include "dns-v1.clientCaKey" $ }}
        path: {{ include "dns-v1.clientCaKey" $ }}
{{- end }}
{{- end }}
{{- with .Values.pdnsTls.caSecret }}
- name: pdns-ca
  secret:
    secretName: {{ . }}
    defaultMode: {{ include "dns-v1.secretMode" $ }}
    items:
      - key: {{ include "dns-v1.pdnsCaKey" $ }}
        path: {{ include "dns-v1.pdnsCaKey" $ }}
{{- end }}
{{- with include "dns-v1.bootstrapTokenSecretName" . }}
- name: bootstrap-token
  secret:
    secretName: {{ . }}
    defaultMode: {{ include "dns-v1.secretMode" $ }}
    items:
      - key: {{ include "dns-v1.bootstrapTokenKey" $ }}
        path: token
{{- end }}
{{- end }}

{{- define "dns-v1.secretVolumeMounts" -}}
{{- if .Values.tls.enabled }}
- name: tls
  mountPath: /etc/dnsd/tls
  readOnly: true
{{- if .Values.tls.clientCA.existingSecret }}
- name: client-ca
  mountPath: /etc/dnsd/client-ca
  readOnly: true
{{- end }}
{{- end }}
{{- if .Values.pdnsTls.caSecret }}
- name: pdns-ca
  mountPath: /etc/dnsd/pdns-ca
  readOnly: true
{{- end }}
{{- if include "dns-v1.bootstrapTokenSecretName" . }}
- name: bootstrap-token
  mountPath: /etc/dnsd/bootstrap-token
  readOnly: true
{{- end }}
{{- end }}
