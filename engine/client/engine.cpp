#include "client/engine.h"

namespace Spool {

Engine::~Engine() = default;

} // namespace Spool
