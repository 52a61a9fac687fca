// aws/aws_error.h
//
// The AWS error mapper: turns an HTTP answer that is an AWS error into a resilience::Error of the
// right kind. It is the one place in ohfp that reads AWS error codes and messages; every other
// layer decides on the kind.
//
// What it reads, tolerantly (any namespace, any nesting):
//   EC2    <Response><Errors><Error><Code/><Message/></Error></Errors><RequestID/></Response>
//   Query  <ErrorResponse><Error><Type>Sender</Type><Code/><Message/></Error><RequestId/>
//          </ErrorResponse>
//   - code and message: the first <Error> element at any depth, its <Code> and <Message> children
//     (names matched in any case);
//   - request id: the body's RequestId / RequestID / requestId, else the x-amzn-RequestId or
//     x-amz-request-id header;
//   - kind: resilience::ErrorClassifier::KindOf(code, status), then the message rules below;
//   - `Retry-After: <seconds>` becomes Error::retry_after (an HTTP-date is ignored: no clock here);
//   - code, message, request id and HTTP status are kept on the Error.
//
// A body that is not an AWS error (an HTML page from a load balancer or proxy, plain text, empty,
// XML without <Error>): code "Http<status>" ("Http502"), kind from the status alone (5xx
// transient, 429 throttled, 401 authentication, 403 authorization, anything else unknown), message
// "HTTP 502 Bad Gateway: <the body's text, tags stripped, whitespace collapsed, at most 200
// bytes>" or "HTTP 500 Internal Server Error (empty body)".
//
// Message rules. This is the only code in ohfp allowed to look at error strings; each rule refines
// a code whose meaning depends on its message. Add new ones here, with a test. Case-insensitive.
//   1. "ValidationError" saying an Auto Scaling group was not found becomes kNotFound:
//      "AutoScalingGroup name not found - AutoScalingGroup 'x' not found",
//      "AutoScalingGroup name not found - null",
//      "AutoScalingGroup not found - AutoScaling Group x not found", "Group x not found".
//   2. "ValidationError" "Instance Id not found - No managed instance found for instance ID i-..."
//      (TerminateInstanceInAutoScalingGroup for an instance that is gone or was never in a group)
//      becomes kNotFound.
//   3. "ValidationError" "The instance i-... is not part of Auto Scaling group g."
//      (DetachInstances repeated after a lost answer, or the instance is gone) becomes kNotFound.
//
// The JSON 1.1 protocol (SSM) answers errors with a non-2xx status and a JSON body,
//   {"__type": "ParameterNotFound", "message": "..."}   (or "Message"; the type may be prefixed
//                                                        "com.amazonaws.ssm#")
// and an x-amzn-ErrorType header ("ParameterNotFound:http://..."), read when the body has no type.
// MapJsonErrorResponse reads them; the kind comes from the classifier, then from these codes of
// the JSON services that the classifier's table does not know:
//   ParameterNotFound, ParameterVersionNotFound         kNotFound
//   ValidationException, InvalidKeyId, ParameterVersionLabelLimitExceeded,
//   UnsupportedParameterType                             kValidation
//   InvalidSignatureException                            kAuthentication
// and, for a body without a type, from the status alone (as above).
//
// Codes and messages are made valid UTF-8 (bad bytes become '?'), so they can go into JSON output.
//
// Thread-safety: stateless; safe from any thread.
//
// Example:
//   Result<HttpResponse> response = transport.Send(request, deadline, stop);
//   if (!response.ok()) return response.error();
//   if (IsErrorResponse(*response)) return MapErrorResponse(*response);
//   Result<XmlDocument> doc = XmlDocument::Parse(response->body);
#pragma once

#include "aws/http_transport.h"
#include "ohfp/resilience/error.h"

namespace ohfp::aws {

// True when `response` must go to MapErrorResponse: any status outside 200-299, or a 2xx whose root
// element is an AWS error envelope (<Response>, <ErrorResponse> or <Error>). EC2 and the Query
// services do not send errors with a 2xx status; the check costs a scan of the body's first tag and
// protects against a proxy or emulator that does, which would otherwise be read as an empty
// success.
bool IsErrorResponse(const HttpResponse& response);

// The Error for an error response (see above). For a response that is not an error (a 2xx success
// body), the result is a kUnknown "Http200" error: call it only when IsErrorResponse is true.
resilience::Error MapErrorResponse(const HttpResponse& response);

// The Error for a non-2xx answer of a JSON 1.1 service (see above).
resilience::Error MapJsonErrorResponse(const HttpResponse& response);

}  // namespace ohfp::aws
