// Property checks inside fuzz targets. A violated property must stop the run
// the way a crash does, so libFuzzer saves the input; a plain assert would
// vanish in a build with NDEBUG.
#ifndef DNS_TESTS_FUZZ_FUZZ_CHECK_H_
#define DNS_TESTS_FUZZ_FUZZ_CHECK_H_

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace dns::fuzz {

[[noreturn]] inline void Fail(const char* file, int line, const char* condition,
                              const std::string& detail) {
  std::fprintf(stderr, "%s:%d: property violated: %s\n%s\n", file, line, condition,
               detail.c_str());
  std::abort();
}

// Printable form of bytes for the failure message.
inline std::string Show(std::string_view bytes) {
  std::string out = "\"";
  for (unsigned char c : bytes) {
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(c));
    } else if (c < 0x20 || c >= 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\x%02x", c);
      out += buf;
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  out.push_back('"');
  return out;
}

}  // namespace dns::fuzz

// FUZZ_CHECK(condition, detail): detail is a std::string built only on
// failure.
#define FUZZ_CHECK(condition, detail)                                   \
  do {                                                                  \
    if (!(condition)) ::dns::fuzz::Fail(__FILE__, __LINE__, #condition, (detail)); \
  } while (false)

#endif  // DNS_TESTS_FUZZ_FUZZ_CHECK_H_
