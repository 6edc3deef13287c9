#pragma once

#include <QString>

namespace Spool {

// How many tokens a model takes in one request (its context window), by what its maker
// publishes, for the models people use with Spool; unknown models get a cautious 8,192 (a
// local server's usual default). A provider's `context_window` and the `context/window_tokens`
// setting override it.
class ContextWindow
{
public:
    static int forModel(const QString &providerKind, const QString &model);
    static constexpr int kUnknown = 8192;
};

} // namespace Spool
