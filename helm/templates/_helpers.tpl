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
