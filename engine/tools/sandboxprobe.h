#pragma once

#include <QList>
#include <QObject>
#include <QPointer>
#include <QString>

#include <functional>

namespace Spool {

// Whether bubblewrap can make its sandbox here: found out once, asynchronously, by running
// `bwrap ... true` (first with --disable-userns, which bubblewrap before 0.8 lacks). Callers
// (shell.exec's previews and jobs, MCP servers that run sandboxed) wait for the answer through
// whenKnown(); nothing blocks.
class SandboxProbe : public QObject
{
    Q_OBJECT
public:
    enum class State { Unknown, Probing, Usable, Unusable };

    // `bwrapPath`: a name looked up in PATH, or a path.
    explicit SandboxProbe(QString bwrapPath, QObject *parent = nullptr);

    State state() const { return m_state; }
    bool disableUserns() const { return m_disableUserns; }
    QString bwrapPath() const { return m_bwrapPath; }
    QString problem() const { return m_problem; }

    // Calls `done` once the answer is known: at once when it is, else when the probe ends,
    // unless `context` is gone by then.
    void whenKnown(QObject *context, std::function<void()> done);

    // The bubblewrap executable `configured` names, or empty when there is none.
    static QString findBwrap(const QString &configured);

private:
    void probe(bool withDisableUserns);
    void settle(State state, const QString &problem);

    QString m_configuredPath;
    State m_state = State::Unknown;
    bool m_disableUserns = true;
    QString m_bwrapPath;
    QString m_problem;
    QList<std::pair<QPointer<QObject>, std::function<void()>>> m_waiting;
};

} // namespace Spool
