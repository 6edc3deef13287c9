#include "runlistmodel.h"

#include <QDateTime>
#include <QLocale>

namespace Spool {

RunListModel::RunListModel(QObject *parent) : KeyedTableModel<RunInfo>(parent) {}

int RunListModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QString RunListModel::stateLabel(RunState state)
{
    switch (state) {
    case RunState::Accepted: return tr("Accepted");
    case RunState::Running: return tr("Running");
    case RunState::Succeeded: return tr("Succeeded");
    case RunState::Failed: return tr("Failed");
    case RunState::Cancelled: return tr("Cancelled");
    }
    return QString();
}

namespace {

QString duration(qint64 ms)
{
    if (ms < 1000)
        return RunListModel::tr("%1 ms").arg(ms);
    if (ms < 60000)
        return RunListModel::tr("%1 s").arg(QLocale().toString(ms / 1000.0, 'f', 1));
    return RunListModel::tr("%1 min %2 s").arg(ms / 60000).arg((ms % 60000) / 1000);
}

} // namespace

QVariant RunListModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const RunInfo &r = m_rows.at(index.row());
    switch (role) {
    case IdRole: return r.id;
    case StateRole: return int(r.state);
    case RunRole: return QVariant::fromValue(r);
    case SessionIdRole: return r.sessionId;
    case ActiveRole: return !r.isTerminal();
    default: break;
    }
    if (role == Qt::DisplayRole || role == Qt::AccessibleTextRole) {
        switch (index.column()) {
        case OrdinalColumn: return QStringLiteral("#%1").arg(r.ordinal);
        case StateColumn: return stateLabel(r.state);
        case StartedColumn:
            return QLocale().toString(QDateTime::fromMSecsSinceEpoch(r.createdAt).time(), QLocale::ShortFormat);
        case DurationColumn: return duration(r.durationMs(QDateTime::currentMSecsSinceEpoch()));
        case TokensColumn:
            return r.promptTokens + r.completionTokens > 0
                    ? QStringLiteral("%1 + %2").arg(r.promptTokens).arg(r.completionTokens)
                    : QString();
        case InputColumn: return r.inputPreview;
        case SessionColumn: return r.sessionId;
        }
    }
    if (role == Qt::ToolTipRole) {
        QString tip = tr("Run %1\n%2 (%3)").arg(r.id, stateLabel(r.state), r.reason);
        if (!r.detail.isEmpty())
            tip += QLatin1Char('\n') + r.detail;
        tip += QLatin1Char('\n') + tr("%1 / %2").arg(r.provider, r.model);
        return tip;
    }
    if (role == Qt::TextAlignmentRole && (index.column() == DurationColumn || index.column() == TokensColumn))
        return int(Qt::AlignRight | Qt::AlignVCenter);
    return {};
}

QVariant RunListModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (section) {
    case OrdinalColumn: return tr("Run");
    case StateColumn: return tr("State");
    case StartedColumn: return tr("Started");
    case DurationColumn: return tr("Duration");
    case TokensColumn: return tr("Tokens");
    case InputColumn: return tr("Message");
    case SessionColumn: return tr("Session");
    }
    return {};
}

void RunListModel::updateRun(const RunInfo &run)
{
    upsert(run, [](const RunInfo &a, const RunInfo &b) {
        return a.createdAt > b.createdAt || (a.createdAt == b.createdAt && a.id > b.id);
    });
}

void RunListModel::tick()
{
    for (int i = 0; i < m_rows.size(); ++i) {
        if (!m_rows.at(i).isTerminal())
            emit dataChanged(index(i, DurationColumn), index(i, DurationColumn), {Qt::DisplayRole});
    }
}

QList<int> RunListModel::changedRoles(const RunInfo &a, const RunInfo &b) const
{
    QList<int> roles;
    if (a.state != b.state || a.reason != b.reason)
        roles << Qt::DisplayRole << StateRole << ActiveRole << Qt::ToolTipRole << RunRole;
    if (a.endedAt != b.endedAt || a.promptTokens != b.promptTokens
        || a.completionTokens != b.completionTokens)
        roles << Qt::DisplayRole << RunRole;
    if (roles.isEmpty() && (a.heartbeatAt != b.heartbeatAt || a.cancelRequestedAt != b.cancelRequestedAt))
        roles << RunRole;
    return roles;
}

} // namespace Spool
