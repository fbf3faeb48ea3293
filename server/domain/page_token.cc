#include "server/domain/page_token.h"

#include <algorithm>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_join.h"
#include "common/status_details.h"
#include "absl/strings/string_view.h"
#include "server/domain/string_view_compat.h"

namespace dns {
namespace {

using internal::Av;

// Layout before base64:
//   version (1 byte) | fingerprint hash (8 bytes, big-endian) |
//   part count (varint) | { length (varint) | bytes }* |
//   checksum (4 bytes, big-endian, FNV-1a 32 of everything before it)
constexpr uint8_t kVersion = 1;
constexpr size_t kHashSize = 8;
constexpr size_t kChecksumSize = 4;

// FNV-1a: stable across processes and builds (absl::Hash is seeded per
// process, so it cannot be used for anything that outlives one).
uint64_t Fnv1a64(std::string_view data) {
  uint64_t h = 14695981039346656037ull;
  for (char c : data) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ull;
  }
  return h;
}

uint32_t Fnv1a32(std::string_view data) {
  uint32_t h = 2166136261u;
  for (char c : data) {
    h ^= static_cast<unsigned char>(c);
    h *= 16777619u;
  }
  return h;
}

void PutBigEndian(std::string& out, uint64_t value, size_t bytes) {
  for (size_t i = bytes; i-- > 0;) out.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
}

uint64_t GetBigEndian(std::string_view in, size_t bytes) {
  uint64_t value = 0;
  for (size_t i = 0; i < bytes; ++i) value = (value << 8) | static_cast<unsigned char>(in[i]);
  return value;
}

void PutVarint(std::string& out, uint64_t value) {
  while (value >= 0x80) {
    out.push_back(static_cast<char>((value & 0x7f) | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<char>(value));
}

// Reads a varint no larger than kMaxPageTokenLength from `in` at `pos`.
bool GetVarint(std::string_view in, size_t& pos, uint64_t& value) {
  value = 0;
  for (int shift = 0; shift < 21; shift += 7) {
    if (pos >= in.size()) return false;
    const unsigned char b = static_cast<unsigned char>(in[pos++]);
    value |= static_cast<uint64_t>(b & 0x7f) << shift;
    if ((b & 0x80) == 0) return value <= kMaxPageTokenLength;
  }
  return false;
}

absl::Status Malformed() { return absl::InvalidArgumentError("page_token is malformed"); }

}  // namespace

std::string EncodePageToken(const std::vector<std::string>& last_key,
                            std::string_view filter_fingerprint) {
  std::string raw;
  raw.push_back(static_cast<char>(kVersion));
  PutBigEndian(raw, Fnv1a64(filter_fingerprint), kHashSize);
  PutVarint(raw, last_key.size());
  for (const std::string& part : last_key) {
    PutVarint(raw, part.size());
    raw += part;
  }
  PutBigEndian(raw, Fnv1a32(raw), kChecksumSize);
  return absl::WebSafeBase64Escape(raw);
}

absl::StatusOr<std::vector<std::string>> DecodePageToken(std::string_view token,
                                                         std::string_view filter_fingerprint) {
  if (token.empty() || token.size() > kMaxPageTokenLength) return Malformed();
  std::string raw;
  if (!absl::WebSafeBase64Unescape(Av(token), &raw)) return Malformed();
  // Base64 has several spellings of the same bytes (padding, unused low
  // bits); only the one we produce is accepted so every edit is caught.
  if (absl::WebSafeBase64Escape(raw) != token) return Malformed();
  if (raw.size() < 1 + kHashSize + 1 + kChecksumSize) return Malformed();

  const std::string_view body(raw.data(), raw.size() - kChecksumSize);
  const uint64_t checksum = GetBigEndian(std::string_view(raw).substr(body.size()), kChecksumSize);
  if (checksum != Fnv1a32(body)) return Malformed();
  if (static_cast<uint8_t>(body[0]) != kVersion) return Malformed();

  size_t pos = 1 + kHashSize;
  uint64_t count = 0;
  if (!GetVarint(body, pos, count) || count > kMaxPageTokenKeyParts) return Malformed();
  std::vector<std::string> key;
  key.reserve(count);
  for (uint64_t i = 0; i < count; ++i) {
    uint64_t length = 0;
    if (!GetVarint(body, pos, length) || length > body.size() - pos) return Malformed();
    key.emplace_back(body.substr(pos, length));
    pos += length;
  }
  if (pos != body.size()) return Malformed();

  // Checked last: a well-formed token from another listing deserves the more
  // helpful message.
  if (GetBigEndian(body.substr(1), kHashSize) != Fnv1a64(filter_fingerprint)) {
    return absl::InvalidArgumentError("page_token was issued for different filters");
  }
  return key;
}

absl::StatusOr<int> PageSize(int requested) {
  if (requested < 0) {
    return absl::InvalidArgumentError("page_size: must not be negative");
  }
  if (requested == 0) return kDefaultPageSize;
  return std::min(requested, kMaxPageSize);
}

std::string FilterFingerprint(const std::vector<std::string>& filters) {
  return absl::StrJoin(filters, "\x1f");
}

absl::StatusOr<std::vector<std::string>> PageStart(std::string_view page_token,
                                                   std::string_view filter_fingerprint,
                                                   size_t key_parts) {
  if (page_token.empty()) return std::vector<std::string>();
  absl::StatusOr<std::vector<std::string>> key = DecodePageToken(page_token, filter_fingerprint);
  if (!key.ok() || key->size() != key_parts) {
    return InvalidField("page_token", key.ok() ? "page_token is malformed"
                                               : std::string(key.status().message()));
  }
  return key;
}

}  // namespace dns
