#include "common/logging.h"

#include <atomic>
#include <memory>
#include <string_view>

#include "spdlog/pattern_formatter.h"

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"

namespace dns {
namespace {

std::atomic<LogFormat> g_format{LogFormat::kText};

// Lines written by Log() under the JSON format carry their fields already
// rendered, after this marker; any other line (a library's, a plain
// spdlog call) becomes {"msg": "<its text>"}, so every line is valid JSON.
constexpr char kRendered = '\x01';

class JsonFieldsFlag : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    std::string_view payload(msg.payload.data(), msg.payload.size());
    if (!payload.empty() && payload.front() == kRendered) {
      payload.remove_prefix(1);
      dest.append(payload.data(), payload.data() + payload.size());
      return;
    }
    const std::string fields =
        "\"msg\":" + nlohmann::json(std::string(payload))
                        .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    dest.append(fields.data(), fields.data() + fields.size());
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<JsonFieldsFlag>();
  }
};

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
    auto formatter = std::make_unique<spdlog::pattern_formatter>(spdlog::pattern_time_type::utc);
    formatter->add_flag<JsonFieldsFlag>('*').set_pattern(
        R"({"time":"%Y-%m-%dT%H:%M:%S.%fZ","level":"%l",%*})");
    spdlog::set_formatter(std::move(formatter));
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
  Log(*spdlog::default_logger_raw(), level, message, fields);
}

void Log(spdlog::logger& logger, spdlog::level::level_enum level, absl::string_view message,
         std::initializer_list<LogField> fields) {
  if (!logger.should_log(level)) return;
  std::string line;
  if (g_format == LogFormat::kJson) {
    nlohmann::json j;
    j["msg"] = std::string(message);
    for (const auto& [key, value] : fields) j[std::string(key)] = value;
    // Invalid UTF-8 (a peer's error text) is replaced, never a throw.
    line = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    // The pattern supplies the braces.
    line = std::string(1, kRendered) + line.substr(1, line.size() - 2);
  } else {
    line = std::string(message);
    for (const auto& [key, value] : fields) {
      absl::StrAppend(&line, " ", key, "=", LogfmtValue(value));
    }
  }
  logger.log(level, "{}", line);
}

}  // namespace dns
