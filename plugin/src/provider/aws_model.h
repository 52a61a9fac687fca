// provider/aws_model.h
//
// Where AWS's types become the model's and back: an EC2 instance record (string states, tags as a
// list) becomes a model::Instance (enum state, the ohfp tags read out), tags change form, and a
// handler's launch outcome and observation become the Provider's.
//
// Thread-safety: stateless functions.
//
// Example:
//   model::Instance i = ToModel(ec2_instance);
//   std::vector<aws::ec2::Tag> tags = ToAws(spec.tags);
#pragma once

#include <vector>

#include "aws/ec2/ec2_types.h"
#include "model/instance.h"
#include "model/observation.h"
#include "model/tag.h"
#include "provider/handlers/api_handler.h"
#include "provider/provider.h"

namespace ohfp::provider {

model::Instance ToModel(const aws::ec2::Instance& i);
std::vector<model::Instance> ToModel(const std::vector<aws::ec2::Instance>& instances);
std::vector<aws::ec2::Tag> ToAws(const std::vector<model::Tag>& tags);
AwsLaunchSpec ToAws(const LaunchSpec& spec);
LaunchOutcome ToModel(AwsLaunchOutcome outcome);
model::Observation ToModel(AwsObservation observation);

}  // namespace ohfp::provider
