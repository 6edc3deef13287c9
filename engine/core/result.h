#pragma once

#include "core/error.h"

#include <optional>
#include <utility>
#include <variant>

namespace Spool {

// A value or an Error. Engine calls that can fail return this instead of throwing.
template<typename T>
class [[nodiscard]] Result
{
public:
    Result(const T &value) : m_data(value) {}
    Result(T &&value) : m_data(std::move(value)) {}
    Result(const Error &error) : m_data(error) {}
    Result(Error &&error) : m_data(std::move(error)) {}

    bool ok() const { return std::holds_alternative<T>(m_data); }
    explicit operator bool() const { return ok(); }

    const T &value() const & { return std::get<T>(m_data); }
    T &value() & { return std::get<T>(m_data); }
    // A temporary Result gives its value away by value, so `for (x : *call())` and
    // `const auto &v = *call();` hold the value itself, not a reference into a dead Result.
    T value() && { return std::get<T>(std::move(m_data)); }
    const T &operator*() const & { return value(); }
    T &operator*() & { return value(); }
    T operator*() && { return std::move(*this).value(); }
    const T *operator->() const { return &std::get<T>(m_data); }
    T *operator->() { return &std::get<T>(m_data); }

    Error error() const { return ok() ? Error{} : std::get<Error>(m_data); }
    QString errorMessage() const { return error().message; }

private:
    std::variant<T, Error> m_data;
};

// Result of an operation with no value.
template<>
class [[nodiscard]] Result<void>
{
public:
    Result() = default;
    Result(const Error &error) : m_error(error) {}
    Result(Error &&error) : m_error(std::move(error)) {}

    bool ok() const { return !m_error.isError(); }
    explicit operator bool() const { return ok(); }
    Error error() const { return m_error; }
    QString errorMessage() const { return m_error.message; }

private:
    Error m_error;
};

using Status = Result<void>;

inline Error makeError(ErrorCode code, const QString &message)
{
    return Error{code, message};
}

} // namespace Spool
