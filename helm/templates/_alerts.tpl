{{/*
PromQL label matchers for this release's series (metrics.prometheusRule.selector,
default: the ServiceMonitor's job, which is the Service name, in the release
namespace). Scoping keeps another release's dnsd from hiding this one's
problems (e.g. its leader counting as ours).
*/}}
{{- define "dns-v1.alertSelector" -}}
{{- .Values.metrics.prometheusRule.selector | default (printf "job=%q,namespace=%q" (include "dns-v1.fullname" .) .Release.Namespace) }}
{{- end }}

{{/*
An alert's labels: severity plus metrics.prometheusRule.additionalRuleLabels.
Call with (dict "root" $ "severity" "...").
*/}}
{{- define "dns-v1.alertLabels" -}}
{{- $extra := .root.Values.metrics.prometheusRule.additionalRuleLabels | default dict }}
{{- toYaml (merge (dict "severity" .severity) (deepCopy $extra)) }}
{{- end }}

{{/*
The rule groups: the PrometheusRule's whole spec, so the chart tests can cut
it out of the rendered chart and hand it to `promtool check rules` and
`promtool test rules` as is. Backquoted template strings keep Prometheus' own
alert templates ($labels, $value) out of Helm's hands.
*/}}
{{- define "dns-v1.alertGroups" -}}
{{- $r := .Values.metrics.prometheusRule }}
{{- $sel := include "dns-v1.alertSelector" . }}
{{- $release := printf "%s (namespace %s)" (include "dns-v1.fullname" .) .Release.Namespace }}
groups:
  - name: dnsd
    rules:
      # All calls failing, not an error ratio: a few refused changes must not
      # page, a server that nothing reaches must. Summed over replicas, so one
      # replica that still gets through keeps it quiet.
      - alert: DnsdPowerDnsServerUnreachable
        expr: |-
          (
            sum by (server) (rate(dnsd_pdns_requests_total{ {{- $sel }},outcome=~"UNAVAILABLE|DEADLINE_EXCEEDED"}[5m])) > 0
          )
          unless
          (
            sum by (server) (rate(dnsd_pdns_requests_total{ {{- $sel }},outcome="OK"}[5m])) > 0
          )
        for: {{ $r.powerDnsServerUnreachable.for }}
        labels:
          {{- include "dns-v1.alertLabels" (dict "root" . "severity" $r.powerDnsServerUnreachable.severity) | nindent 10 }}
        annotations:
          summary: {{`"PowerDNS server {{ $labels.server }} is unreachable from dnsd"`}}
          description: >-
            Every call from {{ $release }} to the PowerDNS API of server
            {{`{{ $labels.server }}`}} fails with UNAVAILABLE or DEADLINE_EXCEEDED
            and none has succeeded for at least {{ $r.powerDnsServerUnreachable.for }}.
            Zone changes for it queue up (dnsd_propagation_pending) until it
            answers again.
      # Computed from the shared database: every replica reports the same
      # value, hence max and not sum.
      - alert: DnsdPropagationLag
        expr: |-
          max by (server) (dnsd_propagation_oldest_pending_seconds{ {{- $sel }}}) > {{ $r.propagationLag.thresholdSeconds }}
        for: {{ $r.propagationLag.for }}
        labels:
          {{- include "dns-v1.alertLabels" (dict "root" . "severity" $r.propagationLag.severity) | nindent 10 }}
        annotations:
          summary: {{`"Zone changes are late on PowerDNS server {{ $labels.server }}"`}}
          description: >-
            The oldest zone change of {{ $release }} not yet confirmed on
            PowerDNS server {{`{{ $labels.server }}`}} is
            {{`{{ $value | humanizeDuration }}`}} old (threshold
            {{ $r.propagationLag.thresholdSeconds }}s); the server answers
            with stale data until it catches up.
      # dnsd_pdns_circuit_state: 0 closed, 1 half-open, 2 open. Any replica
      # with the breaker open counts.
      - alert: DnsdCircuitBreakerOpen
        expr: |-
          max by (server) (dnsd_pdns_circuit_state{ {{- $sel }}}) == 2
        for: {{ $r.circuitBreakerOpen.for }}
        labels:
          {{- include "dns-v1.alertLabels" (dict "root" . "severity" $r.circuitBreakerOpen.severity) | nindent 10 }}
        annotations:
          summary: {{`"dnsd's circuit breaker for PowerDNS server {{ $labels.server }} is open"`}}
          description: >-
            {{ $release }} has stopped calling PowerDNS server
            {{`{{ $labels.server }}`}} after repeated failures (circuit breaker
            open for at least {{ $r.circuitBreakerOpen.for }}); changes for it
            wait until a trial call succeeds.
      # `or vector(0)`: with no dnsd_leader series at all sum() is empty, not
      # 0, and a bare `sum(...) < 1` would never fire. The `up` guard limits
      # that to times when dnsd is being scraped, so an uninstalled or fully
      # down release does not page as "no leader".
      - alert: DnsdNoLeader
        expr: |-
          (
            (sum(dnsd_leader{ {{- $sel }}}) or vector(0)) < 1
          )
          and on ()
          (
            count(up{ {{- $sel }}} == 1) > 0
          )
        for: {{ $r.noLeader.for }}
        labels:
          {{- include "dns-v1.alertLabels" (dict "root" . "severity" $r.noLeader.severity) | nindent 10 }}
        annotations:
          summary: "No dnsd replica of {{ $release }} is the leader"
          description: >-
            For at least {{ $r.noLeader.for }} no replica of {{ $release }}
            has held the PostgreSQL advisory lock that elects the leader
            (sum of dnsd_leader is 0 or the series is missing), so the
            periodic jobs (dnsd_job_*) do not run.
      # dnsd_server_status and dnsd_server_alert come from the server rows in
      # the shared database: every replica reports the same, hence max.
      - alert: DnsdServerUnavailable
        expr: |-
          max by (server) (dnsd_server_status{ {{- $sel }},status="UNAVAILABLE"}) == 1
        for: {{ $r.serverUnavailable.for }}
        labels:
          {{- include "dns-v1.alertLabels" (dict "root" . "severity" $r.serverUnavailable.severity) | nindent 10 }}
        annotations:
          summary: {{`"PowerDNS server {{ $labels.server }} is UNAVAILABLE"`}}
          description: >-
            The health monitor of {{ $release }} gets no DNS answer from
            PowerDNS server {{`{{ $labels.server }}`}} (status UNAVAILABLE for
            at least {{ $r.serverUnavailable.for }}); `dnsctl server health
            {{`{{ $labels.server }}`}}` shows each check.
      - alert: DnsdServerDegraded
        expr: |-
          max by (server) (dnsd_server_status{ {{- $sel }},status="DEGRADED"}) == 1
        for: {{ $r.serverDegraded.for }}
        labels:
          {{- include "dns-v1.alertLabels" (dict "root" . "severity" $r.serverDegraded.severity) | nindent 10 }}
        annotations:
          summary: {{`"PowerDNS server {{ $labels.server }} is DEGRADED"`}}
          description: >-
            PowerDNS server {{`{{ $labels.server }}`}} answers DNS but fails a
            health check of {{ $release }} (stale serial, API unreachable or
            slow, or a standing alert) for at least {{ $r.serverDegraded.for }}.
      - alert: DnsdServerHealthAlert
        expr: |-
          max by (server, alert) (dnsd_server_alert{ {{- $sel }}}) == 1
        for: {{ $r.serverHealthAlert.for }}
        labels:
          {{- include "dns-v1.alertLabels" (dict "root" . "severity" $r.serverHealthAlert.severity) | nindent 10 }}
        annotations:
          summary: {{`"Health alert {{ $labels.alert }} on PowerDNS server {{ $labels.server }}"`}}
          description: >-
            The {{`{{ $labels.alert }}`}} check of PowerDNS server
            {{`{{ $labels.server }}`}} has been over its threshold for at least
            {{ $r.serverHealthAlert.for }} ({{ $release }}'s health monitor).
{{- end }}
