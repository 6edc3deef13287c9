#pragma once

#include "client/engineclient.h"

#include <QObject>
#include <QTest>

#include <optional>
#include <type_traits>

namespace Spool::Test {

// Runs `work` on the engine's thread and waits (up to `timeoutMs`) for its answer, the way a
// window test asks the engine something directly. No answer in time: an empty optional, and an
// answer arriving later is dropped.
template<typename Work>
auto engineAnswer(EngineClient &engine, Work work, int timeoutMs = 10000)
        -> std::optional<std::invoke_result_t<Work, Engine &>>
{
    using R = std::invoke_result_t<Work, Engine &>;
    std::optional<R> answer;
    QObject context;
    engine.call(&context, std::move(work), [&answer](R r) { answer = std::move(r); });
    (void)QTest::qWaitFor([&] { return answer.has_value(); }, timeoutMs);
    return answer;
}

} // namespace Spool::Test
