#include "aws/xml.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <chrono>
#include <limits>
#include <pugixml.hpp>
#include <string>
#include <utility>

#include "base/time_text.h"
#include "base/untrusted_text.h"

namespace ohfp::aws {

using base::IsValidUtf8;
using base::ValidUtf8;
namespace {

using resilience::Error;
using resilience::ErrorKind;
using resilience::Result;
using resilience::SysTime;

constexpr std::size_t kExcerptLength = 60;

std::string_view LocalName(const char* qualified) {
  std::string_view name(qualified);
  const std::size_t colon = name.rfind(':');
  return colon == std::string_view::npos ? name : name.substr(colon + 1);
}

bool IsElementNamed(const pugi::xml_node& node, std::string_view local_name) {
  return node.type() == pugi::node_element && LocalName(node.name()) == local_name;
}

// Pre-order walk over `start` and its descendants, without recursion (a body can nest deeply).
template <class Predicate>
pugi::xml_node FindIf(pugi::xml_node start, Predicate matches) {
  if (!start) return {};
  if (matches(start)) return start;
  pugi::xml_node current = start.first_child();
  while (current && current != start) {
    if (matches(current)) return current;
    if (current.first_child()) {
      current = current.first_child();
      continue;
    }
    while (current != start && !current.next_sibling()) current = current.parent();
    if (current == start) break;
    current = current.next_sibling();
  }
  return {};
}

bool HasDoctype(const pugi::xml_document& document) {
  for (pugi::xml_node node : document.children()) {
    if (node.type() == pugi::node_doctype) return true;
  }
  return false;
}

// What is wrong with the tree under `root`, found without recursion: elements nested deeper than
// kMaxXmlDepth, or a name, text or attribute that is not valid UTF-8 (pugixml converts other
// encodings to UTF-8 but does not validate UTF-8 input, and what AWS says goes into JSON output).
// Empty when nothing is.
std::string TreeProblem(pugi::xml_node root, Utf8Text utf8) {
  int parent_level = 0;  // how many elements enclose `current`: the root has none
  pugi::xml_node current = root;
  while (true) {
    if (utf8 == Utf8Text::kRequired) {
      if (!IsValidUtf8(current.name()) || !IsValidUtf8(current.value())) {
        return "text that is not valid UTF-8";
      }
      for (pugi::xml_attribute a : current.attributes()) {
        if (!IsValidUtf8(a.name()) || !IsValidUtf8(a.value())) {
          return "an attribute that is not valid UTF-8";
        }
      }
    }
    if (pugi::xml_node child = current.first_child()) {  // only elements have children
      current = child;
      if (++parent_level + 1 > kMaxXmlDepth && current.type() == pugi::node_element) {
        return "elements nested deeper than " + std::to_string(kMaxXmlDepth) + " levels";
      }
      continue;
    }
    // No child: the next sibling of this node or of its nearest ancestor.
    while (current != root && !current.next_sibling()) {
      current = current.parent();
      --parent_level;
    }
    if (current == root) return {};
    current = current.next_sibling();
    if (parent_level + 1 > kMaxXmlDepth && current.type() == pugi::node_element) {
      return "elements nested deeper than " + std::to_string(kMaxXmlDepth) + " levels";
    }
  }
}

std::string_view Trim(std::string_view text) {
  const auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
  return text;
}

bool EqualsIgnoringCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

// A short, printable view of untrusted text for an error message: control characters become
// spaces, and the result is valid UTF-8 (messages go into JSON).
std::string Excerpt(std::string_view text) {
  std::string out;
  for (char c : text.substr(0, kExcerptLength)) {
    out.push_back(static_cast<unsigned char>(c) < 0x20 ? ' ' : c);
  }
  out = ValidUtf8(out);
  if (text.size() > kExcerptLength) out.append("...");
  return out;
}

Error BadValue(std::string_view element, std::string_view expected, std::string_view text) {
  return UnexpectedResponse("<" + std::string(element) + "> is not " + std::string(expected) +
                            ": '" + Excerpt(text) + "'");
}

Error MissingChild(std::string_view parent, std::string_view child) {
  return UnexpectedResponse("<" + std::string(parent) + "> has no <" + std::string(child) +
                            "> element");
}

// --- Scalar parsing

template <class Int>
bool ParseWhole(std::string_view text, Int& value) {
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  if (text.empty()) return false;
  const std::from_chars_result result =
      std::from_chars(text.data(), text.data() + text.size(), value);
  return result.ec == std::errc() && result.ptr == text.data() + text.size();
}

std::optional<double> ParseDouble(std::string_view text) {
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  if (text.empty()) return std::nullopt;
  double value = 0;
  const std::from_chars_result result =
      std::from_chars(text.data(), text.data() + text.size(), value);
  if (result.ec != std::errc() || result.ptr != text.data() + text.size()) return std::nullopt;
  return value;
}

}  // namespace

// --- XmlNode

std::string_view XmlNode::Name() const noexcept {
  return node_ ? LocalName(pugi::xml_node(node_).name()) : std::string_view();
}

std::string_view XmlNode::NamespaceUri() const noexcept {
  if (!node_) return {};
  const std::string_view qualified = pugi::xml_node(node_).name();
  const std::size_t colon = qualified.rfind(':');
  const std::string attribute = colon == std::string_view::npos
                                    ? "xmlns"
                                    : "xmlns:" + std::string(qualified.substr(0, colon));
  for (pugi::xml_node n(node_); n && n.type() == pugi::node_element; n = n.parent()) {
    if (pugi::xml_attribute a = n.attribute(attribute.c_str())) return a.value();
  }
  return {};
}

XmlNode XmlNode::Child(std::string_view local_name) const noexcept {
  if (!node_) return {};
  for (pugi::xml_node child : pugi::xml_node(node_).children()) {
    if (IsElementNamed(child, local_name)) return XmlNode(child.internal_object());
  }
  return {};
}

std::vector<XmlNode> XmlNode::Children(std::string_view local_name) const {
  std::vector<XmlNode> out;
  if (!node_) return out;
  for (pugi::xml_node child : pugi::xml_node(node_).children()) {
    if (IsElementNamed(child, local_name)) out.push_back(XmlNode(child.internal_object()));
  }
  return out;
}

std::vector<XmlNode> XmlNode::Elements() const {
  std::vector<XmlNode> out;
  if (!node_) return out;
  for (pugi::xml_node child : pugi::xml_node(node_).children()) {
    if (child.type() == pugi::node_element) out.push_back(XmlNode(child.internal_object()));
  }
  return out;
}

XmlNode XmlNode::Find(std::string_view local_name) const noexcept {
  if (!node_) return {};
  pugi::xml_node found = FindIf(pugi::xml_node(node_), [local_name](const pugi::xml_node& node) {
    return IsElementNamed(node, local_name);
  });
  return XmlNode(found.internal_object());
}

std::string XmlNode::Text() const {
  std::string text;
  if (!node_) return text;
  for (pugi::xml_node child : pugi::xml_node(node_).children()) {
    if (child.type() == pugi::node_pcdata || child.type() == pugi::node_cdata)
      text.append(child.value());
  }
  return text;
}

std::optional<std::string> XmlNode::ChildText(std::string_view local_name) const {
  XmlNode child = Child(local_name);
  if (!child) return std::nullopt;
  return child.Text();
}

Result<std::int64_t> XmlNode::AsInt64() const {
  if (!node_) return UnexpectedResponse("expected an integer element, found none");
  const std::string text = Text();
  std::int64_t value = 0;
  if (!ParseWhole(Trim(text), value)) return BadValue(Name(), "an integer", text);
  return value;
}

Result<bool> XmlNode::AsBool() const {
  if (!node_) return UnexpectedResponse("expected a boolean element, found none");
  const std::string text = Text();
  const std::string_view trimmed = Trim(text);
  if (EqualsIgnoringCase(trimmed, "true") || trimmed == "1") return true;
  if (EqualsIgnoringCase(trimmed, "false") || trimmed == "0") return false;
  return BadValue(Name(), "a boolean", text);
}

Result<double> XmlNode::AsDouble() const {
  if (!node_) return UnexpectedResponse("expected a number element, found none");
  const std::string text = Text();
  std::optional<double> value = ParseDouble(Trim(text));
  if (!value) return BadValue(Name(), "a number", text);
  return *value;
}

Result<SysTime> XmlNode::AsTimestamp() const {
  if (!node_) return UnexpectedResponse("expected a timestamp element, found none");
  const std::string text = Text();
  const std::string_view trimmed = Trim(text);
  std::optional<SysTime> time = base::ParseIso8601(trimmed);
  if (!time) time = base::ParseEpochSeconds(trimmed);
  if (!time) time = base::ParseHttpDate(trimmed);
  if (!time) return BadValue(Name(), "a timestamp", text);
  return *time;
}

Result<std::int64_t> XmlNode::ChildInt64(std::string_view local_name) const {
  XmlNode child = Child(local_name);
  if (!child) return MissingChild(Name(), local_name);
  return child.AsInt64();
}

Result<bool> XmlNode::ChildBool(std::string_view local_name) const {
  XmlNode child = Child(local_name);
  if (!child) return MissingChild(Name(), local_name);
  return child.AsBool();
}

Result<double> XmlNode::ChildDouble(std::string_view local_name) const {
  XmlNode child = Child(local_name);
  if (!child) return MissingChild(Name(), local_name);
  return child.AsDouble();
}

Result<SysTime> XmlNode::ChildTimestamp(std::string_view local_name) const {
  XmlNode child = Child(local_name);
  if (!child) return MissingChild(Name(), local_name);
  return child.AsTimestamp();
}

// --- XmlDocument

XmlDocument::XmlDocument(std::unique_ptr<pugi::xml_document> document) noexcept
    : document_(std::move(document)) {}
XmlDocument::XmlDocument(XmlDocument&&) noexcept = default;
XmlDocument& XmlDocument::operator=(XmlDocument&&) noexcept = default;
XmlDocument::~XmlDocument() = default;

Result<XmlDocument> XmlDocument::Parse(std::string_view body, Utf8Text utf8) {
  if (Trim(body).empty()) {
    return Error(ErrorKind::kTransient, "MalformedResponse",
                 "response body is empty, expected XML");
  }
  auto document = std::make_unique<pugi::xml_document>();
  const pugi::xml_parse_result parsed = document->load_buffer(
      body.data(), body.size(), pugi::parse_default | pugi::parse_doctype, pugi::encoding_auto);
  if (!parsed || !document->document_element()) {
    return Error(ErrorKind::kTransient, "MalformedResponse",
                 "response body is not well-formed XML (" + std::string(parsed.description()) +
                     " at offset " + std::to_string(parsed.offset) + "); body starts '" +
                     Excerpt(body) + "'");
  }
  if (HasDoctype(*document)) {
    return Error(ErrorKind::kTransient, "MalformedResponse",
                 "response body has a document type declaration, which AWS never sends; body "
                 "starts '" +
                     Excerpt(body) + "'");
  }
  if (const std::string problem = TreeProblem(document->document_element(), utf8);
      !problem.empty()) {
    return Error(ErrorKind::kTransient, "MalformedResponse",
                 "response body has " + problem + "; body starts '" + Excerpt(body) + "'");
  }
  return XmlDocument(std::move(document));
}

XmlNode XmlDocument::Root() const noexcept {
  return document_ ? XmlNode(document_->document_element().internal_object()) : XmlNode();
}

// --- Envelope helpers

std::string RequestIdOf(const XmlDocument& document) {
  // EC2 puts <requestId> (<RequestID> in errors) under the root, Query <RequestId> under
  // <ResponseMetadata>. Pre-order walk with an explicit stack: the first match in document order
  // wins.
  std::vector<XmlNode> pending;
  if (XmlNode root = document.Root()) pending.push_back(root);
  while (!pending.empty()) {
    const XmlNode node = pending.back();
    pending.pop_back();
    if (EqualsIgnoringCase(node.Name(), "requestid")) return std::string(Trim(node.Text()));
    std::vector<XmlNode> children = node.Elements();
    pending.insert(pending.end(), children.rbegin(), children.rend());
  }
  return {};
}

XmlNode ResultOf(const XmlDocument& document) {
  const XmlNode root = document.Root();
  constexpr std::string_view kResponse = "Response";
  const std::string_view name = root.Name();
  if (name.size() > kResponse.size() && name.ends_with(kResponse)) {
    const std::string result_name =
        std::string(name.substr(0, name.size() - kResponse.size())) + "Result";
    if (XmlNode result = root.Child(result_name)) return result;
  }
  return root;
}

std::optional<std::string> NextTokenOf(XmlNode result) {
  std::optional<std::string> token = result.ChildText("NextToken");
  if (!token) token = result.ChildText("nextToken");
  if (!token) return std::nullopt;
  const std::string_view trimmed = Trim(*token);
  if (trimmed.empty()) return std::nullopt;
  return std::string(trimmed);
}

resilience::Error UnexpectedResponse(std::string what) {
  return resilience::Error(resilience::ErrorKind::kInternal, "UnexpectedResponse", std::move(what));
}

}  // namespace ohfp::aws
