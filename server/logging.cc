#include "server/logging.h"

#include <atomic>

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"

namespace dns {
namespace {

std::atomic<LogFormat> g_format{LogFormat::kText};

// logfmt quoting: bare when safe, else a JSON-style quoted string.
std::string LogfmtValue(const std::string& value) {
  bool bare = !value.empty();
  for (char c : value) {
    if (c <= ' ' || c == '"' || c == '=' || c == '\\' || static_cast<unsigned char>(c) >= 0x7f) {
      bare = false;
      break;
    }
  }
  return bare ? value : nlohmann::json(value).dump();
}

}  // namespace

absl::Status ConfigureLogging(absl::string_view level, absl::string_view format) {
  auto parsed = spdlog::level::from_str(std::string(level));
  if (parsed == spdlog::level::off && level != "off") {
    return absl::InvalidArgumentError(absl::StrCat("unknown log level '", level, "'"));
  }
  spdlog::set_level(parsed);
  if (format == "json") {
    g_format = LogFormat::kJson;
    spdlog::set_pattern(R"({"time":"%Y-%m-%dT%H:%M:%S.%fZ","level":"%l",%v})",
                        spdlog::pattern_time_type::utc);
  } else if (format == "text") {
    g_format = LogFormat::kText;
    spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%fZ %L %v", spdlog::pattern_time_type::utc);
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown log format '", format, "' (text or json)"));
  }
  return absl::OkStatus();
}

void Log(spdlog::level::level_enum level, absl::string_view message,
         std::initializer_list<LogField> fields) {
  if (!spdlog::should_log(level)) return;
  std::string line;
  if (g_format == LogFormat::kJson) {
    nlohmann::json j;
    j["msg"] = std::string(message);
    for (const auto& [key, value] : fields) j[std::string(key)] = value;
    line = j.dump();
    line = line.substr(1, line.size() - 2);  // the pattern supplies the braces
  } else {
    line = std::string(message);
    for (const auto& [key, value] : fields) {
      absl::StrAppend(&line, " ", key, "=", LogfmtValue(value));
    }
  }
  spdlog::log(level, "{}", line);
}

}  // namespace dns
