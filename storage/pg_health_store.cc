#include "storage/pg_health_store.h"

#include <pqxx/pqxx>

#include <algorithm>
#include <cmath>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "nlohmann/json.hpp"
#include "storage/pg_run.h"

namespace dns {
namespace {

using json = nlohmann::json;

std::vector<std::string> TextArray(const pqxx::field& field) {
  std::vector<std::string> out;
  json j = json::parse(field.as<std::string>(), nullptr, false);
  if (!j.is_array()) return out;
  for (const auto& v : j) {
    if (v.is_string()) out.push_back(v.get<std::string>());
  }
  return out;
}

std::string JsonText(const std::vector<std::string>& items) {
  return json(items).dump(-1, ' ', false, json::error_handler_t::replace);
}

// Only names from kHealthMetrics ever reach SQL text.
bool KnownMetric(const std::string& name) {
  for (const auto& m : kHealthMetrics) {
    if (name == m.name) return true;
  }
  return false;
}

const char* UnitOf(const std::string& name) {
  for (const auto& m : kHealthMetrics) {
    if (name == m.name) return m.unit;
  }
  return "";
}

std::string MicrosText(absl::Time t) { return absl::StrCat(absl::ToUnixMicros(t)); }

absl::Status ServerNotFound(const std::string& name) {
  return WithReason(absl::NotFoundError(absl::StrCat("server ", name, " is not registered")),
                    "SERVER_NOT_FOUND");
}

}  // namespace

absl::StatusOr<HealthTransition> PgHealthStore::RecordRound(
    const std::string& server, const std::optional<HealthSample>& sample,
    const Assessor& assess) {
  auto attempt = [&]() {
    return RunPg<HealthTransition>(*pool_, "RecordRound", [&](pqxx::connection& conn)
                                                              -> absl::StatusOr<HealthTransition> {
      pqxx::work txn(conn);
      pqxx::result row = txn.exec_params(
          "SELECT status, maintenance, status_reason, down_streak, bad_streak, good_streak,"
          " up_streak, array_to_json(active_alerts)::text, array_to_json(failing_checks)::text"
          " FROM dnsv1.servers WHERE name = $1 FOR UPDATE",
          server);
      if (row.empty()) return ServerNotFound(server);
      HealthState before;
      before.status = ServerStatusFromName(row[0][0].as<std::string>());
      before.maintenance = row[0][1].as<bool>();
      before.reason = row[0][2].as<std::string>();
      before.streaks = {row[0][3].as<int>(), row[0][4].as<int>(), row[0][5].as<int>(),
                        row[0][6].as<int>()};
      before.active_alerts = TextArray(row[0][7]);
      before.failing_checks = TextArray(row[0][8]);
      HealthTransition t = assess(before);
      const HealthState& s = t.state;
      const bool good = t.observation == Observation::kGood;
      std::optional<std::string> checked;
      std::string version;
      if (sample) {
        checked = MicrosText(sample->time);
        version = sample->version;
      }
      txn.exec_params0(
          "UPDATE dnsv1.servers SET status = $2, status_reason = $3, down_streak = $4,"
          " bad_streak = $5, good_streak = $6, up_streak = $7,"
          " active_alerts = ARRAY(SELECT jsonb_array_elements_text($8::jsonb)),"
          " failing_checks = ARRAY(SELECT jsonb_array_elements_text($9::jsonb)),"
          " last_error = CASE WHEN $10 THEN '' ELSE $3 END,"
          " version = CASE WHEN $11 = '' THEN version ELSE $11 END,"
          " last_check_time = COALESCE(to_timestamp($12::bigint / 1000000.0), last_check_time)"
          " WHERE name = $1",
          server, ServerStatusName(s.status), s.reason, s.streaks.down, s.streaks.bad,
          s.streaks.good, s.streaks.up, JsonText(s.active_alerts), JsonText(s.failing_checks),
          good, version, checked ? checked->c_str() : nullptr);
      if (sample) {
        std::vector<std::string> columns = {"time", "server", "good", "status"};
        std::vector<std::string> values = {
            absl::StrCat("to_timestamp(", MicrosText(sample->time), "::bigint / 1000000.0)"),
            txn.quote(server), good ? "true" : "false",
            absl::StrCat(static_cast<int>(s.status))};
        for (const auto& [name, value] : sample->values) {
          if (!KnownMetric(name) || !std::isfinite(value)) continue;
          columns.push_back(name);
          values.push_back(absl::StrCat(value));
        }
        txn.exec0(absl::StrCat("INSERT INTO dnsv1.health_samples (",
                               absl::StrJoin(columns, ", "), ") VALUES (",
                               absl::StrJoin(values, ", "), ")"));
      }
      for (HealthEvent& e : t.events) {
        e.id = txn.exec_params1(
                      "SELECT dnsv1.add_health_event(to_timestamp($1::bigint / 1000000.0), $2,"
                      " $3, $4, $5, $6, $7, $8, $9)",
                      MicrosText(e.time), HealthEventTypeName(e.type), e.server,
                      e.type == HealthEventType::kStatusChanged ? ServerStatusName(e.from_status)
                                                                : "",
                      e.type == HealthEventType::kStatusChanged ? ServerStatusName(e.to_status)
                                                                : "",
                      e.reason, e.alert, e.value, e.threshold)[0]
                   .as<int64_t>();
      }
      txn.commit();
      return t;
    });
  };
  absl::StatusOr<HealthTransition> result = attempt();
  // The first sample of a day whose partition the leader has not made yet
  // (a clock jump, a leader that was down): make it and try again.
  if (!result.ok() && sample && absl::StrContains(result.status().message(), "no partition")) {
    if (EnsurePartitions(sample->time, 2).ok()) result = attempt();
  }
  return result;
}

absl::StatusOr<std::vector<HealthEvent>> PgHealthStore::ListEvents(int64_t after_id,
                                                                   int64_t up_to, int limit) {
  return RunPg<std::vector<HealthEvent>>(
      *pool_, "ListHealthEvents",
      [&](pqxx::connection& conn) -> absl::StatusOr<std::vector<HealthEvent>> {
        pqxx::nontransaction txn(conn);
        pqxx::result rows = txn.exec_params(
            "SELECT id, (extract(epoch from time) * 1000000)::bigint, type, server,"
            " from_status, to_status, reason, alert, value, threshold,"
            " zone, kind, truth_serial, server_serial, count, request_id"
            " FROM dnsv1.health_events WHERE id > $1 AND ($2 = 0 OR id <= $2)"
            " ORDER BY id LIMIT $3",
            after_id, up_to, limit);
        std::vector<HealthEvent> out;
        out.reserve(rows.size());
        for (const auto& r : rows) {
          HealthEvent e;
          e.id = r[0].as<int64_t>();
          e.time = absl::FromUnixMicros(r[1].as<int64_t>());
          e.type = HealthEventTypeFromName(r[2].as<std::string>());
          e.server = r[3].as<std::string>();
          e.from_status = ServerStatusFromName(r[4].as<std::string>());
          e.to_status = ServerStatusFromName(r[5].as<std::string>());
          e.reason = r[6].as<std::string>();
          e.alert = r[7].as<std::string>();
          e.value = r[8].as<double>();
          e.threshold = r[9].as<double>();
          e.zone = r[10].as<std::string>();
          e.kind = r[11].as<std::string>();
          e.truth_serial = static_cast<uint32_t>(r[12].as<int64_t>());
          e.server_serial = static_cast<uint32_t>(r[13].as<int64_t>());
          e.count = r[14].as<int64_t>();
          e.request_id = r[15].as<std::string>();
          out.push_back(std::move(e));
        }
        return out;
      });
}

absl::StatusOr<int64_t> PgHealthStore::LastEventId() {
  return RunPg<int64_t>(*pool_, "LastHealthEventId",
                        [&](pqxx::connection& conn) -> absl::StatusOr<int64_t> {
                          pqxx::nontransaction txn(conn);
                          return txn
                              .exec1("SELECT COALESCE(max(id), 0) FROM dnsv1.health_events")[0]
                              .as<int64_t>();
                        });
}

absl::StatusOr<int64_t> PgHealthStore::OldestEventId() {
  return RunPg<int64_t>(*pool_, "OldestHealthEventId",
                        [&](pqxx::connection& conn) -> absl::StatusOr<int64_t> {
                          pqxx::nontransaction txn(conn);
                          return txn
                              .exec1("SELECT COALESCE(min(id), 0) FROM dnsv1.health_events")[0]
                              .as<int64_t>();
                        });
}

absl::StatusOr<int64_t> PgHealthStore::PruneEvents(absl::Time cutoff) {
  return RunPg<int64_t>(*pool_, "PruneHealthEvents",
                        [&](pqxx::connection& conn) -> absl::StatusOr<int64_t> {
                          pqxx::work txn(conn);
                          pqxx::result r = txn.exec_params(
                              "DELETE FROM dnsv1.health_events"
                              " WHERE time < to_timestamp($1::bigint / 1000000.0)",
                              MicrosText(cutoff));
                          txn.commit();
                          return static_cast<int64_t>(r.affected_rows());
                        });
}

absl::StatusOr<MetricsResult> PgHealthStore::QueryMetrics(const MetricsQuery& query) {
  std::vector<std::string> names;
  if (query.metrics.empty()) {
    for (const auto& m : kHealthMetrics) names.push_back(m.name);
  } else {
    for (const auto& name : query.metrics) {
      if (!KnownMetric(name)) {
        return absl::InvalidArgumentError(absl::StrCat("unknown metric '", name, "'"));
      }
      names.push_back(name);
    }
  }
  // Every part yields per bucket: samples, good ones, and per figure its
  // sum, count and maximum; the outer query merges the parts. Whole hours
  // come from the roll-ups when the step is a whole number of hours (so a
  // bucket is made of whole hours), the rest from the samples.
  auto raw = [&](const std::string& from, const std::string& to) {
    std::string q = absl::StrCat(
        "SELECT date_bin($4::bigint * interval '1 microsecond', time,"
        " timestamptz '1970-01-01 00:00:00+00') AS b, count(*) AS n,"
        " count(*) FILTER (WHERE good) AS good");
    for (const auto& n : names) {
      absl::StrAppend(&q, ", sum(", n, ") AS ", n, "_s, count(", n, ") AS ", n, "_n, max(", n,
                      ") AS ", n, "_m");
    }
    absl::StrAppend(&q, " FROM dnsv1.health_samples WHERE server = $1 AND time >= ", from,
                    " AND time < ", to, " GROUP BY 1");
    return q;
  };
  const int64_t hour_us = int64_t{3600} * 1000000;
  const int64_t step_us = absl::ToInt64Microseconds(query.step);
  const bool hourly = step_us % hour_us == 0;
  std::string parts;
  if (hourly) {
    // $5/$6: the span of whole hours inside the range that are rolled up.
    std::string rolled = absl::StrCat(
        "SELECT date_bin($4::bigint * interval '1 microsecond', hour,"
        " timestamptz '1970-01-01 00:00:00+00') AS b, sum(n) AS n, sum(good) AS good");
    for (const auto& n : names) {
      absl::StrAppend(&rolled, ", sum(", n, "_sum) AS ", n, "_s, sum(", n, "_n) AS ", n,
                      "_n, max(", n, "_max) AS ", n, "_m");
    }
    absl::StrAppend(&rolled,
                    " FROM dnsv1.health_hourly WHERE server = $1 AND hour >= $5 AND hour < $6"
                    " GROUP BY 1");
    parts = absl::StrCat(rolled, " UNION ALL ",
                         raw("$2", "LEAST($5::timestamptz, $3::timestamptz)"), " UNION ALL ",
                         raw("GREATEST($6::timestamptz, $2::timestamptz)", "$3"));
  } else {
    parts = raw("$2", "$3");
  }
  std::string select =
      "SELECT (extract(epoch from b) * 1000000)::bigint, sum(n), sum(good)";
  for (const auto& n : names) {
    absl::StrAppend(&select, ", sum(", n, "_n), sum(", n, "_s) / NULLIF(sum(", n, "_n), 0), max(",
                    n, "_m)");
  }
  absl::StrAppend(&select, " FROM (", parts, ") p GROUP BY b ORDER BY b");
  return RunPg<MetricsResult>(
      *pool_, "QueryMetrics", [&](pqxx::connection& conn) -> absl::StatusOr<MetricsResult> {
        pqxx::work txn(conn);
        const std::string start =
            absl::FormatTime("%Y-%m-%d %H:%M:%E6S+00", query.start, absl::UTCTimeZone());
        const std::string end =
            absl::FormatTime("%Y-%m-%d %H:%M:%E6S+00", query.end, absl::UTCTimeZone());
        pqxx::result rows;
        if (hourly) {
          // The rolled-up span: whole hours from the first at or after the
          // start to the last before both the end and the watermark.
          pqxx::row span = txn.exec_params1(
              "SELECT s, GREATEST(s, LEAST(e, COALESCE((SELECT rolled_until FROM"
              " dnsv1.health_rollup_state), s))) FROM (SELECT"
              " date_trunc('hour', $1::timestamptz AT TIME ZONE 'UTC' + interval '1 hour'"
              " - interval '1 microsecond') AT TIME ZONE 'UTC' AS s,"
              " date_trunc('hour', $2::timestamptz AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS e) t",
              start, end);
          rows = txn.exec_params(select, query.server, start, end, step_us,
                                 span[0].as<std::string>(), span[1].as<std::string>());
        } else {
          rows = txn.exec_params(select, query.server, start, end, step_us);
        }
        MetricsResult out;
        out.series.resize(names.size());
        for (size_t i = 0; i < names.size(); ++i) {
          out.series[i].name = names[i];
          out.series[i].unit = UnitOf(names[i]);
        }
        int64_t good = 0;
        for (const auto& r : rows) {
          const absl::Time bucket = absl::FromUnixMicros(r[0].as<int64_t>());
          out.sample_count += r[1].as<int64_t>();
          good += r[2].as<int64_t>();
          for (size_t i = 0; i < names.size(); ++i) {
            const int base = 3 + static_cast<int>(i) * 3;
            const int count = r[base].is_null() ? 0 : r[base].as<int>();
            if (count == 0) continue;
            // sum / n of equal samples can round one ulp above their max.
            const double max = r[base + 2].as<double>();
            out.series[i].points.push_back(
                {bucket, std::min(r[base + 1].as<double>(), max), max, count});
          }
        }
        out.availability =
            out.sample_count > 0 ? static_cast<double>(good) / out.sample_count : 0;
        return out;
      });
}

absl::StatusOr<int> PgHealthStore::RollUp(absl::Time before) {
  return RunPg<int>(*pool_, "RollUpHealth", [&](pqxx::connection& conn) -> absl::StatusOr<int> {
    pqxx::work txn(conn);
    const int hours = txn.exec_params1("SELECT dnsv1.roll_up_health("
                                       "to_timestamp($1::bigint / 1000000.0))",
                                       MicrosText(before))[0]
                          .as<int>();
    txn.commit();
    return hours;
  });
}

absl::StatusOr<int> PgHealthStore::EnsurePartitions(absl::Time now, int days_ahead) {
  return RunPg<int>(*pool_, "EnsureHealthPartitions",
                    [&](pqxx::connection& conn) -> absl::StatusOr<int> {
                      pqxx::work txn(conn);
                      const int made =
                          txn.exec_params1("SELECT dnsv1.ensure_health_partitions("
                                           "to_timestamp($1::bigint / 1000000.0), $2)",
                                           MicrosText(now), days_ahead)[0]
                              .as<int>();
                      txn.commit();
                      return made;
                    });
}

absl::StatusOr<int> PgHealthStore::DropPartitionsBefore(absl::Time cutoff) {
  return RunPg<int>(*pool_, "DropHealthPartitions",
                    [&](pqxx::connection& conn) -> absl::StatusOr<int> {
                      pqxx::work txn(conn);
                      const int dropped =
                          txn.exec_params1("SELECT dnsv1.drop_health_partitions("
                                           "to_timestamp($1::bigint / 1000000.0))",
                                           MicrosText(cutoff))[0]
                              .as<int>();
                      // A few hundred rows per server and day: a plain
                      // delete is cheap here.
                      txn.exec_params0("DELETE FROM dnsv1.health_hourly"
                                       " WHERE hour < to_timestamp($1::bigint / 1000000.0)",
                                       MicrosText(cutoff));
                      txn.commit();
                      return dropped;
                    });
}

absl::StatusOr<std::optional<ProbeTarget>> PgHealthStore::FindProbeTarget(
    const std::string& server) {
  return RunPg<std::optional<ProbeTarget>>(
      *pool_, "FindProbeTarget",
      [&](pqxx::connection& conn) -> absl::StatusOr<std::optional<ProbeTarget>> {
        pqxx::nontransaction txn(conn);
        pqxx::result r = txn.exec_params(
            "SELECT zone, applied_serial FROM dnsv1.zone_servers"
            " WHERE server = $1 AND state = 'IN_SYNC' AND NOT zone_deleted LIMIT 1",
            server);
        if (r.empty()) return std::optional<ProbeTarget>();
        return std::optional<ProbeTarget>(
            ProbeTarget{r[0][0].as<std::string>(), static_cast<uint32_t>(r[0][1].as<int64_t>())});
      });
}

absl::StatusOr<int64_t> PgHealthStore::CountOutOfSync(
    const std::string& server, const std::optional<std::vector<std::string>>& zones,
    const std::vector<uint32_t>& serials) {
  std::optional<std::string> listed;
  if (zones) {
    json list = json::array();
    for (size_t i = 0; i < zones->size(); ++i) {
      list.push_back({{"z", (*zones)[i]}, {"s", i < serials.size() ? serials[i] : 0u}});
    }
    listed = list.dump(-1, ' ', false, json::error_handler_t::replace);
  }
  return RunPg<int64_t>(
      *pool_, "CountOutOfSync", [&](pqxx::connection& conn) -> absl::StatusOr<int64_t> {
        pqxx::nontransaction txn(conn);
        if (!listed) {
          return txn
              .exec_params1("SELECT count(*) FROM dnsv1.zone_servers"
                            " WHERE server = $1 AND state = 'ERROR' AND NOT zone_deleted",
                            server)[0]
              .as<int64_t>();
        }
        return txn
            .exec_params1(
                "SELECT count(*) FROM dnsv1.zone_servers zs"
                " LEFT JOIN jsonb_to_recordset($2::jsonb) AS srv(z text, s bigint)"
                "   ON srv.z = zs.zone"
                " WHERE zs.server = $1 AND NOT zs.zone_deleted AND (zs.state = 'ERROR'"
                "   OR (zs.state = 'IN_SYNC' AND (srv.z IS NULL OR srv.s <> zs.applied_serial)))",
                server, *listed)[0]
            .as<int64_t>();
      });
}

}  // namespace dns
