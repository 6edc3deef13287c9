#include "sessionbar.h"

#include "client/engineclient.h"

#include <QComboBox>
#include <QDesktopServices>
#include <QDir>
#include <QFileDialog>
#include <QHBoxLayout>
#include <QJsonArray>
#include <QJsonObject>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QToolButton>
#include <QUrl>

namespace Spool {

SessionBar::SessionBar(EngineClient *engine, QWidget *parent) : QWidget(parent), m_engine(engine)
{
    auto *label = new QLabel(tr("Mo&del:"), this);
    m_model = new QComboBox(this);
    m_model->setEditable(true);
    m_model->setInsertPolicy(QComboBox::NoInsert);
    // Room for 22 characters when the header has it, down to 12 when the window is narrow: a
    // long model name never widens the window (the whole name is in the edit field).
    m_model->setMinimumContentsLength(22);
    m_model->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    m_model->setMinimumWidth(m_model->minimumSizeHint().width()
                             - 10 * m_model->fontMetrics().horizontalAdvance(QLatin1Char('x')));
    m_model->setAccessibleName(tr("Session model"));
    m_model->setToolTip(tr("The model this session's next runs use; empty for the agent's model"));
    label->setBuddy(m_model);
    m_usage = new QLabel(this);
    m_usage->setAccessibleName(tr("Session token usage"));
    m_usage->setEnabled(false); // muted
    m_context = new QLabel(this);
    m_context->setAccessibleName(tr("Context window use"));

    m_workspace = new QToolButton(this);
    m_workspace->setAccessibleName(tr("Workspace folder"));
    m_workspace->setPopupMode(QToolButton::InstantPopup);
    m_workspace->setToolButtonStyle(Qt::ToolButtonTextOnly);
    // The style draws its menu arrow over the end of the text; the text carries its own.
    m_workspace->setStyleSheet(QStringLiteral("QToolButton::menu-indicator { image: none; width: 0px; }"));
    auto *menu = new QMenu(m_workspace);
    menu->addAction(tr("Choose a folder\u2026"), this, [this] {
        // open(), not exec(): no nested event loop, and the answer is dropped if this bar (or
        // its window) is gone by then.
        auto *dialog = new QFileDialog(this, tr("Workspace folder for this session"),
                                       m_workspacePath.isEmpty() ? QDir::homePath() : m_workspacePath);
        dialog->setAttribute(Qt::WA_DeleteOnClose);
        dialog->setFileMode(QFileDialog::Directory);
        dialog->setOption(QFileDialog::ShowDirsOnly);
        const QString sessionId = m_sessionId;
        connect(dialog, &QFileDialog::fileSelected, this, [this, sessionId](const QString &folder) {
            if (!folder.isEmpty() && sessionId == m_sessionId)
                setWorkspace(folder);
        });
        dialog->open();
    });
    menu->addAction(tr("Use the default folder"), this, [this] { setWorkspace(QString()); });
    menu->addAction(tr("Open in the file manager"), this, [this] {
        QDir().mkpath(m_workspacePath);
        QDesktopServices::openUrl(QUrl::fromLocalFile(m_workspacePath));
    });
    m_workspace->setMenu(menu);

    connect(m_model, &QComboBox::activated, this, [this] { commit(); });
    connect(m_model->lineEdit(), &QLineEdit::editingFinished, this, [this] { commit(); });

    auto *layout = new QHBoxLayout(this);
    layout->setContentsMargins(12, 6, 12, 4);
    layout->addWidget(m_context);
    layout->addSpacing(8);
    layout->addWidget(m_usage);
    layout->addSpacing(8);
    layout->addWidget(m_workspace);
    layout->addSpacing(8);
    layout->addWidget(label);
    layout->addWidget(m_model);
    layout->addStretch(); // under the title (a narrow window), the bar keeps to the left
    hide();
}

void SessionBar::setSession(const QString &sessionId)
{
    ++m_generation;
    m_sessionId = sessionId;
    m_sessionModel.clear();
    m_agentModel.clear();
    m_provider.clear();
    m_usage->clear();
    m_context->clear();
    m_filling = true;
    m_model->clear(); // another session's list until this one's comes
    m_filling = false;
    setVisible(!sessionId.isEmpty());
    if (!sessionId.isEmpty())
        load();
}

void SessionBar::reload()
{
    m_models.clear();
    if (!m_sessionId.isEmpty())
        load();
}

void SessionBar::load()
{
    if (!m_engine)
        return;
    const int generation = ++m_generation;
    const QString sessionId = m_sessionId;
    struct Answer
    {
        Result<SessionInfo> session = Error{};
        Result<Agent> agent = Error{};
        QString workspace;
    };
    m_engine->call(
            this,
            [sessionId](Engine &g) {
                Answer a;
                a.session = g.sessions().find(sessionId);
                if (a.session) {
                    a.agent = g.agents().get(a.session->agent);
                    a.workspace = g.sessions().effectiveWorkspace(*a.session);
                }
                return a;
            },
            [this, generation](Answer a) {
                if (generation != m_generation || !a.session)
                    return;
                m_sessionModel = a.session->model;
                m_agentModel = a.agent ? a.agent->model : QString();
                m_provider = a.agent ? a.agent->provider : QString();
                m_workspacePath = a.workspace;
                m_ownWorkspace = !a.session->workspace.isEmpty();
                showWorkspace();
                showModel();
                refreshUsage();
                if (m_provider.isEmpty())
                    return;
                const QString provider = m_provider;
                if (m_models.contains(provider)) {
                    fillModels(m_models.value(provider));
                    return;
                }
                m_engine->callAsync<Result<QStringList>>(
                        this,
                        [provider](Engine &g, std::function<void(Result<QStringList>)> reply) {
                            g.providers().models(provider,
                                             [reply](const Result<QStringList> &r) { reply(r); });
                        },
                        [this, generation, provider](Result<QStringList> models) {
                            if (generation != m_generation)
                                return;
                            if (!models) {
                                m_model->setToolTip(tr("%1 did not list its models (%2); type a "
                                                       "model's name")
                                                            .arg(provider, models.errorMessage()));
                                return;
                            }
                            m_models.insert(provider, *models);
                            fillModels(*models);
                        });
            });
}

void SessionBar::fillModels(const QStringList &models)
{
    m_filling = true;
    m_model->clear();
    m_model->addItems(models);
    m_filling = false;
    showModel();
}

void SessionBar::showModel()
{
    m_filling = true;
    m_model->setCurrentIndex(m_model->findText(m_sessionModel));
    m_model->setEditText(m_sessionModel);
    m_model->lineEdit()->setPlaceholderText(
            m_agentModel.isEmpty() ? tr("the agent's model")
                                   : tr("%1 (the agent's model)").arg(m_agentModel));
    m_filling = false;
}

void SessionBar::commit()
{
    if (m_filling || m_sessionId.isEmpty())
        return;
    const QString model = m_model->currentText().trimmed();
    if (model == m_sessionModel)
        return;
    setModel(model);
}

void SessionBar::setModel(const QString &model)
{
    if (!m_engine || m_sessionId.isEmpty())
        return;
    const QString sessionId = m_sessionId;
    m_engine->call(this,
                   [sessionId, model](Engine &g) {
                       return g.sessions().setModel(sessionId, model);
                   },
                   [this, sessionId](Result<SessionInfo> s) {
                       if (!s) {
                           emit status(tr("Cannot change the model: %1").arg(s.errorMessage()));
                           showModel();
                           return;
                       }
                       if (sessionId != m_sessionId)
                           return;
                       m_sessionModel = s->model;
                       showModel();
                       emit status(s->model.isEmpty()
                                           ? tr("This session now uses the agent's model")
                                           : tr("This session now uses %1").arg(s->model));
                       emit modelChanged(sessionId, s->model);
                   });
}

void SessionBar::applyRun(const RunInfo &run)
{
    if (run.sessionId == m_sessionId && run.isTerminal())
        refreshUsage();
}

void SessionBar::refreshUsage()
{
    if (!m_engine || m_sessionId.isEmpty())
        return;
    const QString sessionId = m_sessionId;
    m_engine->call(this, [sessionId](Engine &g) { return g.sessions().usage(sessionId); },
                   [this, sessionId](Result<TokenUsage> usage) {
                       if (!usage || sessionId != m_sessionId)
                           return;
                       const qint64 total = usage->prompt + usage->completion;
                       m_usage->setText(tr("%L1 tokens").arg(total));
                       refreshContext();
                       m_usage->setToolTip(tr("This session's runs used %L1 prompt and %L2 "
                                              "completion tokens")
                                                   .arg(usage->prompt)
                                                   .arg(usage->completion));
                   });
}

void SessionBar::refreshContext()
{
    const QString sessionId = m_sessionId;
    // The newest run's `context` event says how full its request was (it comes early).
    m_engine->call(this, [sessionId](Engine &g) -> QJsonObject {
        RunFilter filter;
        filter.sessionId = sessionId;
        filter.limit = 1;
        auto runs = g.runs(filter);
        if (!runs || runs->isEmpty())
            return {};
        auto events = g.inspection().tape(runs->first().id, 1, 8);
        if (!events)
            return {};
        for (const TapeEvent &e : std::as_const(*events)) {
            if (e.kind == TapeKind::Context)
                return e.payload;
        }
        return {};
    }, [this, sessionId](const QJsonObject &context) {
        if (sessionId != m_sessionId)
            return;
        const QJsonObject budget = context.value(QStringLiteral("budget")).toObject();
        const int window = budget.value(QStringLiteral("window")).toInt();
        if (window <= 0) {
            m_context->clear();
            return;
        }
        const int used = budget.value(QStringLiteral("total")).toInt();
        const int percent = int(qRound(100.0 * used / window));
        m_context->setText(tr("Context %1% of %2k").arg(percent).arg(window / 1000));
        QString tip = tr("The last run's request: about %L1 of the model's %L2 tokens (system prompt "
                         "%L3, tools %L4, memory %L5, earlier turns %L6, message %L7).")
                              .arg(used)
                              .arg(window)
                              .arg(budget.value(QStringLiteral("system")).toInt() - budget.value(QStringLiteral("memory")).toInt())
                              .arg(budget.value(QStringLiteral("tools")).toInt())
                              .arg(budget.value(QStringLiteral("memory")).toInt())
                              .arg(context.value(QStringLiteral("token_estimate")).toInt())
                              .arg(budget.value(QStringLiteral("input")).toInt());
        const int dropped = context.value(QStringLiteral("turns_dropped")).toInt();
        const int trimmed = int(context.value(QStringLiteral("turns_trimmed")).toArray().size());
        if (dropped > 0 || trimmed > 0)
            tip += QLatin1Char(' ') + tr("%1 earlier run(s) left out, %2 shortened to fit.").arg(dropped).arg(trimmed);
        m_context->setToolTip(tip);
    });
}

} // namespace Spool

namespace Spool {

void SessionBar::showWorkspace()
{
    // A long folder name is shortened in the middle (its start and its end tell folders
    // apart); the whole path is in the tooltip.
    const QString name = fontMetrics().elidedText(QDir(m_workspacePath).dirName(), Qt::ElideMiddle,
                                                  14 * fontMetrics().horizontalAdvance(QLatin1Char('x')));
    m_workspace->setText(tr("Folder: %1 \u25be").arg(m_ownWorkspace ? name : tr("default")));
    m_workspace->setToolTip(m_ownWorkspace
                                    ? tr("The session's tools work in %1").arg(m_workspacePath)
                                    : tr("The session's tools work in its own folder, %1").arg(m_workspacePath));
}

void SessionBar::setWorkspace(const QString &folder)
{
    if (!m_engine || m_sessionId.isEmpty())
        return;
    const QString sessionId = m_sessionId;
    m_engine->call(this,
                   [sessionId, folder](Engine &g) {
                       return g.sessions().setWorkspace(sessionId, folder);
                   },
                   [this, sessionId](Result<SessionInfo> s) {
                       if (sessionId != m_sessionId)
                           return;
                       if (!s) {
                           emit status(s.errorMessage());
                           return;
                       }
                       emit status(s->workspace.isEmpty() ? tr("The session's tools use their default folder")
                                                          : tr("The session's tools work in %1").arg(s->workspace));
                       load();
                   });
}

} // namespace Spool
