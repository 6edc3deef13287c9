#pragma once

#include "core/result.h"
#include "tools/tooloptions.h"

namespace Spool {

class ToolRegistry;

// Registers the built-in workspace, command and web tools: fs.read, fs.write, fs.list,
// fs.search, shell.exec, http.fetch. Every tool is attempted; the error names those that
// could not be registered. (echo and clock are registered by the Gateway itself.)
// Adds the built-in tools, or replaces them when the options changed.
Status registerBuiltinTools(ToolRegistry &registry, const ToolOptions &options);

// The options a Gateway starts with: workspaces under `dataDir`/workspaces, everything else at
// its safe default. The front end overrides from the settings.
ToolOptions defaultToolOptions(const QString &dataDir);

} // namespace Spool
