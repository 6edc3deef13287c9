#include "cli/chatsession.h"

#include <QJsonObject>

namespace Spool::Cli {

namespace {

const QString kUsage = QStringLiteral("spool demo [--session KEY]");

} // namespace

// A short tour on the deterministic provider, with no network and no key: a plain reply, a
// tool call that policy allows, and one that needs approval (approved here, as a user would).
int runDemo(CliApp &app, const QStringList &arguments)
{
    QCommandLineParser parser;
    const QCommandLineOption session(QStringLiteral("session"),
                                     QStringLiteral("Session key to use (default: demo)."),
                                     QStringLiteral("KEY"), QStringLiteral("demo"));
    parser.addOption(session);
    if (auto rc = app.parse(parser, arguments, kUsage))
        return *rc;
    if (int rc = app.openEngine(); rc != ExitOk)
        return rc;

    QTextStream &out = app.out();
    out << QStringLiteral("Spool offline demo: the deterministic provider, no network, no key.\n"
                          "Journal: %1\n\n")
                   .arg(app.config().journalPath());

    const QStringList messages{
        QStringLiteral("Hello Spool! Show me what an agent run looks like."),
        QStringLiteral("What time is it in UTC? [[tool clock {}]]"),
        QStringLiteral("Repeat a phrase back to me. [[tool echo {\"text\": \"every step is on the tape\"}]]"),
    };
    const QStringList captions{
        QStringLiteral("1. A plain message: the reply streams in chunks."),
        QStringLiteral("2. A tool call that policy allows without asking."),
        QStringLiteral("3. A tool call that needs approval: the demo approves it (the window "
                       "would ask you in a dialog, `spool chat` on a terminal asks at a prompt)."),
    };
    QString lastRun;
    for (int i = 0; i < messages.size(); ++i) {
        out << captions.at(i) << QStringLiteral("\n> ") << messages.at(i) << '\n';
        out.flush();
        RunRequest request;
        request.session.key = parser.value(session);
        request.text = messages.at(i);
        request.source = QStringLiteral("cli");
        ChatSession chat(app, ApprovalAnswer::Approve, false);
        if (int rc = chat.exec(request); rc != ExitOk)
            return rc;
        lastRun = chat.run().id;
        out << '\n';
    }

    out << QStringLiteral("The tape of the last run, every step in order (spool tape %1):\n").arg(lastRun);
    out.flush();
    auto events = app.engine().inspection().tape(lastRun);
    if (!events)
        return app.fail(events.error());
    for (const TapeEvent &e : *events)
        out << QStringLiteral("  %1  %2  %3\n").arg(e.seq, 3).arg(e.kind.leftJustified(17), e.summary(90));
    out << QStringLiteral("\nNext: spool sessions show %1 · spool tape %2 --json · "
                          "spool chat --session %1 \"hello again\"\n")
                   .arg(parser.value(session), lastRun);
    return ExitOk;
}

} // namespace Spool::Cli
