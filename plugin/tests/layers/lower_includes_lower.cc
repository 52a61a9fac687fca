// A provider-layer file that includes the layers below it, with the same include roots as
// lower_includes_higher.cc: it compiles (LayerRule.ALayerIncludesTheLayersBelowIt), so the failure
// of the other probe is the layering and nothing else.
#include "aws/aws_client.h"
#include "model/request.h"
#include "provider/provider.h"
