// Every line a valid JSON object under the JSON format, whoever wrote it.
#include "common/logging.h"

#include <sstream>

#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "spdlog/sinks/ostream_sink.h"

namespace dns {
namespace {

TEST(LoggingTest, EveryLineIsAJsonObjectUnderTheJsonFormat) {
  std::ostringstream out;
  auto previous = spdlog::default_logger();
  spdlog::set_default_logger(std::make_shared<spdlog::logger>(
      "capture", std::make_shared<spdlog::sinks::ostream_sink_mt>(out)));
  ASSERT_TRUE(ConfigureLogging("debug", "json").ok());
  Log(spdlog::level::info, "rpc", {{"request_id", "r-1"}, {"error", "a \"quoted\" \n line"}});
  // A plain spdlog line (a library's, a migration's) with characters JSON
  // must escape, and bytes that are not UTF-8.
  spdlog::warn("applying migration {} (\"{}\") \\ \t \xff", 5, "fenced_leases");
  Log(spdlog::level::err, "peer said", {{"error", "\xc3\x28 bad utf-8"}});
  spdlog::set_default_logger(previous);
  ASSERT_TRUE(ConfigureLogging("info", "text").ok());

  std::vector<std::string> lines = absl::StrSplit(out.str(), '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 3u);
  for (const std::string& line : lines) {
    nlohmann::json j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    ASSERT_TRUE(j.is_object()) << line;
    EXPECT_TRUE(j.contains("time") && j.contains("level") && j.contains("msg")) << line;
  }
  nlohmann::json first = nlohmann::json::parse(lines[0]);
  EXPECT_EQ(first["msg"], "rpc");
  EXPECT_EQ(first["request_id"], "r-1");
  EXPECT_EQ(first["error"], "a \"quoted\" \n line");
  nlohmann::json second = nlohmann::json::parse(lines[1]);
  EXPECT_EQ(second["level"], "warning");
  EXPECT_NE(second["msg"].get<std::string>().find("applying migration 5"), std::string::npos);
}

TEST(LoggingTest, TextLinesAreLogfmt) {
  std::ostringstream out;
  auto previous = spdlog::default_logger();
  spdlog::set_default_logger(std::make_shared<spdlog::logger>(
      "capture", std::make_shared<spdlog::sinks::ostream_sink_mt>(out)));
  ASSERT_TRUE(ConfigureLogging("info", "text").ok());
  Log(spdlog::level::info, "rpc", {{"code", "OK"}, {"error", "two words"}});
  spdlog::set_default_logger(previous);
  EXPECT_NE(out.str().find(R"(rpc code=OK error="two words")"), std::string::npos) << out.str();
}

}  // namespace
}  // namespace dns
