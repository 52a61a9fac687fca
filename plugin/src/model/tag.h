// model/tag.h
//
// A key/value tag, and the keys ohfp writes on everything it creates. Every resource carries the
// request it was made for, the template, the provider instance's name and the installation's
// identity (model/installation.h), so that a crash between "the cloud said yes" and "the store
// saved it" is reconciled from the tags, and so that one installation never mistakes another's
// resources for its own.
//
// Thread-safety: value types.
//
// Example:
//   std::vector<Tag> tags = {{std::string(kTagRequestId), "req-1"}};
//   std::optional<std::string> request = TagValue(tags, kTagRequestId);
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ohfp::model {

inline constexpr std::string_view kTagRequestId = "ohfp:request-id";
inline constexpr std::string_view kTagTemplateId = "ohfp:template-id";
inline constexpr std::string_view kTagProvider = "ohfp:provider";
inline constexpr std::string_view kTagInstallation = "ohfp:installation";

struct Tag {
  std::string key{};
  std::string value{};
  friend bool operator==(const Tag&, const Tag&) = default;
};

// The value of `key` among `tags`, if present.
std::optional<std::string> TagValue(const std::vector<Tag>& tags, std::string_view key);

}  // namespace ohfp::model
