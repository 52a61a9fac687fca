// aws/xml.h
//
// Tolerant reading of AWS Query-protocol XML responses (EC2, Auto Scaling, CloudWatch), on top of
// pugixml (which stays out of this header).
//   - XmlDocument::Parse(body) owns the parsed tree; XmlNode is a cheap, non-owning view of one
//     element.
//   - Names match on the local name: namespaces (xmlns) and prefixes ("ec2:item") are ignored.
//   - Navigation never fails: a missing element is a null XmlNode (false in a boolean context),
//     and every accessor of a null node returns an empty value, so
//     `a.Child("b").Child("c").Text()` is safe.
//   - Typed reads (AsInt64/AsBool/AsDouble/AsTimestamp and the Child* shortcuts) return Result<T>.
//   - Envelope helpers: RequestIdOf (EC2 <requestId>, Query <ResponseMetadata><RequestId>),
//     ResultOf (the Query <XxxResult> element, or the EC2 <XxxResponse> root), NextTokenOf (EC2
//     <nextToken>, Query <NextToken>).
//
// Errors, and why these kinds:
//   - A body that is not well-formed XML (empty, truncated, an HTML page from a proxy) is
//     kTransient, code "MalformedResponse": what came over the wire is damaged, the request itself
//     was fine and another attempt may get a clean answer; a service that keeps answering garbage
//     should count against its circuit breaker.
//   - Well-formed XML whose content does not fit (a required element missing, "abc" where a
//     number belongs) is kInternal, code "UnexpectedResponse": our reading of the API does not
//     match the answer. That is a local fault, not a sign of an unhealthy service, so it must not
//     trip the breaker (kInternal is not a service-error kind).
//
// Thread-safety: XmlDocument is immutable after Parse; its nodes may be read from several threads
// at once. An XmlNode is valid while its XmlDocument lives (moving the document keeps it valid).
//
// Example:
//   Result<XmlDocument> doc = XmlDocument::Parse(response.body);
//   if (!doc.ok()) return doc.error();
//   XmlNode result = ResultOf(*doc);
//   for (XmlNode item : result.Child("reservationSet").Children("item")) { ... }
//   std::optional<std::string> next = NextTokenOf(result);
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ohfp/resilience/clock.h"
#include "ohfp/resilience/result.h"

namespace pugi {
class xml_document;
struct xml_node_struct;
}  // namespace pugi

namespace ohfp::aws {

class XmlNode {
 public:
  XmlNode() noexcept = default;

  explicit operator bool() const noexcept { return node_ != nullptr; }

  // The element's local name ("item" for <ec2:item>); "" for a null node.
  std::string_view Name() const noexcept;
  // The namespace URI the element's name is in (its prefix's, or the default, xmlns declaration on
  // it or the nearest ancestor that has one); "" when it is in none, or for a null node.
  std::string_view NamespaceUri() const noexcept;

  // The first child element named `local_name`; a null node if there is none.
  XmlNode Child(std::string_view local_name) const noexcept;
  // Every child element named `local_name`, in document order: the <item> of an EC2 list, the
  // <member> of a Query list, or the repeated elements of a flattened list (call it on the parent).
  std::vector<XmlNode> Children(std::string_view local_name) const;
  // Every child element.
  std::vector<XmlNode> Elements() const;
  // This element if it is named `local_name`, else its first descendant so named (document order).
  XmlNode Find(std::string_view local_name) const noexcept;

  // The character data directly inside this element (text and CDATA, entities decoded), untrimmed;
  // "" for an empty element (<a/>, <a></a>) or a null node.
  std::string Text() const;
  // The text of the first child named `local_name`; nullopt when there is no such child.
  std::optional<std::string> ChildText(std::string_view local_name) const;

  // This element's text as a typed value; surrounding whitespace is ignored. A null node is an
  // error.
  //   AsInt64      decimal integer
  //   AsBool       true/false (any case) or 1/0
  //   AsDouble     decimal or exponent form, NaN, Infinity, -Infinity
  //   AsTimestamp  ISO 8601 ("2014-04-29T18:30:38Z", fractions, "+01:00" offsets), epoch seconds
  //                ("1398796238", "1398796238.5"), or an HTTP date
  //                ("Tue, 29 Apr 2014 18:30:38 GMT")
  resilience::Result<std::int64_t> AsInt64() const;
  resilience::Result<bool> AsBool() const;
  resilience::Result<double> AsDouble() const;
  resilience::Result<resilience::SysTime> AsTimestamp() const;

  // The same reads of a required child; a missing child is an error that names it and its parent.
  resilience::Result<std::int64_t> ChildInt64(std::string_view local_name) const;
  resilience::Result<bool> ChildBool(std::string_view local_name) const;
  resilience::Result<double> ChildDouble(std::string_view local_name) const;
  resilience::Result<resilience::SysTime> ChildTimestamp(std::string_view local_name) const;

 private:
  friend class XmlDocument;
  explicit XmlNode(pugi::xml_node_struct* node) noexcept : node_(node) {}

  pugi::xml_node_struct* node_ = nullptr;
};

// Elements nested deeper than this (the root is at depth 1) make a document unacceptable. The
// deepest AWS answers ohfp reads (a Spot Fleet request's launch specifications, an Auto Scaling
// group's mixed instances policy) nest about 12 deep.
inline constexpr int kMaxXmlDepth = 64;

// What XmlDocument::Parse accepts besides well-formed XML within the limits.
enum class Utf8Text {
  kRequired,  // a name, text or attribute that is not valid UTF-8 is refused (answers: their text
              // goes into JSON output, and AWS sends only UTF-8)
  kAllowed,   // taken as it is (error bodies: the error mapper replaces bad bytes, and keeps the
              // code)
};

class XmlDocument {
 public:
  // Parses `body` (UTF-8/16/32 detected from the BOM or declaration; pugixml converts to UTF-8 but
  // does not validate UTF-8 input). Not XML, no root element, a document type declaration
  // (<!DOCTYPE>: AWS never sends one), elements nested deeper than kMaxXmlDepth, or (by default)
  // text that is not valid UTF-8: kTransient "MalformedResponse" with the reason, the offset and
  // the start of the body (made valid UTF-8). Neither parsing nor any walk in this file recurses,
  // so a document nested 200,000 deep is refused in a few milliseconds without deep stacks.
  [[nodiscard]] static resilience::Result<XmlDocument> Parse(std::string_view body,
                                                             Utf8Text utf8 = Utf8Text::kRequired);

  XmlDocument(XmlDocument&&) noexcept;
  XmlDocument& operator=(XmlDocument&&) noexcept;
  ~XmlDocument();

  // The root element.
  XmlNode Root() const noexcept;
  // The root if it is named `local_name`, else the first element so named at any depth.
  XmlNode Find(std::string_view local_name) const noexcept { return Root().Find(local_name); }

 private:
  explicit XmlDocument(std::unique_ptr<pugi::xml_document> document) noexcept;

  std::unique_ptr<pugi::xml_document> document_;
};

// The request id of a response: the text of the first element named RequestId, RequestID or
// requestId (any case) at any depth; "" if there is none.
std::string RequestIdOf(const XmlDocument& document);

// Where an operation's output members live: in a Query response <XxxResponse><XxxResult>, the
// <XxxResult> element; otherwise (EC2, or a Query response without output) the root element.
XmlNode ResultOf(const XmlDocument& document);

// The pagination token among `result`'s children (<nextToken> in EC2, <NextToken> in Query);
// nullopt when absent or empty, which means the last page.
std::optional<std::string> NextTokenOf(XmlNode result);

// kInternal "UnexpectedResponse": an answer that parsed as XML but lacks what the operation needs
// (an item without its id, a timestamp that is not one).
resilience::Error UnexpectedResponse(std::string what);

}  // namespace ohfp::aws
