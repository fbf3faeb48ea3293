// Structured log lines: logfmt for people, JSON lines for collectors.
#ifndef DNS_COMMON_LOGGING_H_
#define DNS_COMMON_LOGGING_H_

#include <initializer_list>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "spdlog/spdlog.h"

namespace dns {

enum class LogFormat { kText, kJson };

// Configures the default spdlog logger (level name as spdlog spells it).
absl::Status ConfigureLogging(absl::string_view level, absl::string_view format);

using LogField = std::pair<absl::string_view, std::string>;

// One line: the message and key/value fields, rendered in the configured
// format ("msg=... request_id=..." or {"msg":..., "request_id":...}).
void Log(spdlog::level::level_enum level, absl::string_view message,
         std::initializer_list<LogField> fields);
// The same line on `logger`.
void Log(spdlog::logger& logger, spdlog::level::level_enum level, absl::string_view message,
         std::initializer_list<LogField> fields);

}  // namespace dns

#endif  // DNS_COMMON_LOGGING_H_
