#include "cli/chatsession.h"

#include "core/attachmentlimits.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMimeDatabase>
#include <QProcess>
#include <QTemporaryDir>

#include <unistd.h>

namespace Spool::Cli {

namespace {

const QString kUsage = QStringLiteral(
        "spool chat [--session KEY | --session-id ID | --new] [--agent NAME] "
        "[--workspace DIR] [--attach FILE]... [--approve | --deny] [--json] TEXT...   "
        "(TEXT \"-\" reads the message from stdin)");

// The helper that scales images down: beside `spool` in a build, in libexec once installed.
QString imageHelper()
{
    const QDir self(QCoreApplication::applicationDirPath());
    for (const QString &candidate : {self.filePath(QStringLiteral("spool-image")),
                                     self.filePath(QStringLiteral(SPOOL_IMAGE_FROM_BIN))}) {
        if (QFileInfo(candidate).isExecutable())
            return candidate;
    }
    return QString();
}

// The file as an attachment; an image goes through spool-image first (scaled to the configured
// maximum, in a format models read). The engine checks type and size again.
Result<Attachment> readAttachment(CliApp &app, const QString &path, const AttachmentLimits &limits)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return makeError(ErrorCode::InvalidArgument,
                         QStringLiteral("cannot attach %1: %2").arg(path, file.errorString()));
    Attachment a;
    a.name = QFileInfo(path).fileName();
    // Larger than any cap: refused by the engine without reading it all.
    if (file.size() > limits.maxFileBytes) {
        a.data = file.read(limits.maxFileBytes + 1);
        return a;
    }
    a.data = file.readAll();
    if (!QMimeDatabase().mimeTypeForData(a.data).name().startsWith(QLatin1String("image/")))
        return a;
    const QString helper = imageHelper();
    if (helper.isEmpty()) {
        app.err() << QStringLiteral("spool: warning: spool-image is not installed; %1 is sent "
                                    "at its full size\n").arg(a.name);
        return a;
    }
    QTemporaryDir dir;
    const QString out = dir.filePath(QStringLiteral("prepared"));
    QProcess process;
    process.start(helper, {QString::number(limits.imageMaxEdge), QFileInfo(path).absoluteFilePath(), out});
    if (!process.waitForFinished(120000) || process.exitStatus() != QProcess::NormalExit
        || process.exitCode() != 0)
        return makeError(ErrorCode::InvalidArgument,
                         QStringLiteral("cannot prepare the image %1: %2")
                                 .arg(path, QString::fromUtf8(process.readAllStandardError()).trimmed()));
    const QJsonObject info = QJsonDocument::fromJson(process.readAllStandardOutput()).object();
    QFile prepared(out);
    if (!prepared.open(QIODevice::ReadOnly))
        return makeError(ErrorCode::InvalidArgument,
                         QStringLiteral("cannot prepare the image %1: %2").arg(path, prepared.errorString()));
    a.data = prepared.readAll();
    if (info.value(QStringLiteral("changed")).toBool()) {
        const QString mime = info.value(QStringLiteral("mime")).toString();
        const QString ext = mime == QLatin1String("image/png") ? QStringLiteral("png") : QStringLiteral("jpg");
        const QString suffix = QFileInfo(a.name).suffix().toLower();
        if (suffix != ext && !(ext == QLatin1String("jpg") && suffix == QLatin1String("jpeg")))
            a.name = QFileInfo(a.name).completeBaseName() + QLatin1Char('.') + ext;
    }
    return a;
}

// Broken policies deny every tool call: say so before the run, not only in its tape.
void warnAboutPolicyProblems(CliApp &app)
{
    const QList<PolicyProblem> problems = app.engine().policies().problems();
    if (problems.isEmpty())
        return;
    QTextStream &err = app.err();
    err << QStringLiteral("spool: warning: the tool policies have %1 problem%2, so every tool call "
                          "is denied until they are fixed:\n")
                   .arg(problems.size())
                   .arg(problems.size() == 1 ? QString() : QStringLiteral("s"));
    for (const PolicyProblem &p : problems)
        err << QStringLiteral("  %1\n").arg(p.toString());
    err << QStringLiteral("  (the files are in %1; `spool policy check` checks them again)\n")
                   .arg(app.config().configDir.isEmpty()
                                ? QStringLiteral("the policy folder")
                                : QDir(app.config().configDir).filePath(QStringLiteral("policies")));
    err.flush();
}

} // namespace

int runChat(CliApp &app, const QStringList &arguments)
{
    QCommandLineParser parser;
    const QCommandLineOption session(QStringLiteral("session"),
                                     QStringLiteral("Continue (or create) the session with this key."),
                                     QStringLiteral("KEY"));
    const QCommandLineOption sessionId(QStringLiteral("session-id"),
                                       QStringLiteral("Continue the session with this id."),
                                       QStringLiteral("ID"));
    const QCommandLineOption newSession(QStringLiteral("new"),
                                        QStringLiteral("Start a new session (the default)."));
    const QCommandLineOption agent(QStringLiteral("agent"), QStringLiteral("Agent to use."),
                                   QStringLiteral("NAME"));
    const QCommandLineOption workspace(QStringLiteral("workspace"),
                                       QStringLiteral("The folder the session's tools work in (set for the session)."),
                                       QStringLiteral("DIR"));
    const QCommandLineOption approve(QStringLiteral("approve"),
                                     QStringLiteral("Allow every tool call that asks, once."));
    const QCommandLineOption deny(QStringLiteral("deny"),
                                  QStringLiteral("Deny every tool call that asks."));
    const QCommandLineOption attach(QStringLiteral("attach"),
                                    QStringLiteral("Attach a file (an image, a PDF, a text file); repeatable."),
                                    QStringLiteral("FILE"));
    parser.addOptions({session, sessionId, newSession, agent, workspace, approve, deny, attach});
    parser.addPositionalArgument(QStringLiteral("text"), QStringLiteral("The message, or - for stdin."),
                                 QStringLiteral("TEXT..."));
    if (auto rc = app.parse(parser, arguments, kUsage))
        return *rc;
    if (parser.isSet(newSession) && (parser.isSet(session) || parser.isSet(sessionId)))
        return app.usageError(QStringLiteral("--new cannot be combined with --session or --session-id"),
                              kUsage);
    if (parser.isSet(approve) && parser.isSet(deny))
        return app.usageError(QStringLiteral("--approve and --deny exclude each other"), kUsage);

    QString text = parser.positionalArguments().join(QLatin1Char(' '));
    const bool fromStdin = text == QLatin1String("-");
    if (fromStdin) {
        QFile in;
        if (!in.open(stdin, QIODevice::ReadOnly))
            return app.fail(makeError(ErrorCode::InvalidArgument, QStringLiteral("cannot read stdin")));
        text = QString::fromUtf8(in.readAll());
    }
    const QStringList files = parser.values(attach);
    if (text.trimmed().isEmpty() && files.isEmpty())
        return app.usageError(QStringLiteral("no message given"), kUsage);

    // Files are read (and images prepared by the helper, which this waits for) before the
    // engine opens: nothing waits on the engine's thread.
    QList<Attachment> attachments;
    const AttachmentLimits limits = AttachmentLimits::load(app.loadConfig().settingsPath());
    for (const QString &path : files) {
        auto a = readAttachment(app, path, limits);
        if (!a)
            return app.fail(a.error());
        attachments.append(*a);
    }
    // A `spool chat` also carries on runs other processes left waiting for an approval.
    if (int rc = app.openEngine(QStringLiteral("cli"), true); rc != ExitOk)
        return rc;
    warnAboutPolicyProblems(app);

    RunRequest request;
    request.session.key = parser.value(session);
    request.session.id = parser.value(sessionId);
    request.createSession = true;
    request.agent = parser.value(agent);
    request.text = text;
    request.attachments = attachments;
    request.source = QStringLiteral("cli");
    if (parser.isSet(workspace)) {
        // The session exists first, so its runs see the folder from the start.
        const QString folder = parser.value(workspace);
        const SessionSelector selector = request.session;
        const QString agentName = request.agent;
        auto set = app.withEngine([selector, folder, agentName](Engine &g) -> Result<SessionInfo> {
            auto s = g.sessions().resolve(selector, true, agentName);
            if (!s)
                return s.error();
            return g.sessions().setWorkspace(s->session.id, folder);
        });
        if (!set)
            return app.fail(set.error());
        request.session = SessionSelector{set->id, {}};
    }
    const ApprovalAnswer answer = parser.isSet(approve) ? ApprovalAnswer::Approve
            : parser.isSet(deny)                        ? ApprovalAnswer::Deny
                                                        : ApprovalAnswer::Ask;
    ChatSession chat(app, answer, !fromStdin && ::isatty(STDIN_FILENO));
    const int rc = chat.exec(request);
    // Runs it adopted go on to their end, or to their next approval, before it exits.
    app.settleRuns();
    return rc;
}

} // namespace Spool::Cli
