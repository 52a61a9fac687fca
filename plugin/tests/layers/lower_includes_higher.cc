// A provider-layer file that includes the layer above it. It must not compile: the provider
// layer's include roots do not contain "hostfactory/"
// (LayerRule.ALowerLayerCannotIncludeAHigherOne).
#include "hostfactory/service.h"
