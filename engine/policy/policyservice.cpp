#include "policy/policyservice.h"

#include "core/datapaths.h"
#include "core/logging.h"
#include "policy/cedarpolicyengine.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>

namespace Spool {

namespace {

// Written once into a new policy folder, so a user who finds it knows what it is for.
const char kPolicyFolderReadme[] =
        "Spool's policy folder.\n"
        "\n"
        "Every *.cedar file here is loaded, in name order, next to Spool's built-in policies when\n"
        "Spool starts. A forbid here always wins; a permit without @ask lets a tool run without\n"
        "asking; a permit with @ask(\"why\") makes it ask. A file with an error stops every tool\n"
        "call until it is fixed, so a mistyped forbid never silently disappears.\n"
        "\n"
        "  spool policy check      checks the files here (file:line:column: message)\n"
        "  spool policy list       shows the policies Spool has loaded\n"
        "  spool policy explain --tool NAME --args JSON   says which policies decide a call\n"
        "\n"
        "Each tool call is the Cedar request principal User::\"<you>\", action\n"
        "Action::\"tool.execute\", resource Tool::\"<tool name>\", and a context with arguments,\n"
        "capabilities, risk, requiresApproval, session, agent and workspace. For shell.exec the\n"
        "arguments also hold argv0, is_compound and runs_other_commands; allow a command with\n"
        "\n"
        "  permit (principal, action, resource == Tool::\"shell.exec\")\n"
        "  when { context.arguments.argv0 == \"ls\" && !context.arguments.is_compound &&\n"
        "         !context.arguments.runs_other_commands };\n";

} // namespace

PolicyService::PolicyService(const QString &configDir)
    : m_folder(configDir.isEmpty() ? QString() : QDir(configDir).filePath(QStringLiteral("policies"))),
      m_engine(std::make_unique<CedarPolicyEngine>())
{
}

PolicyService::~PolicyService() = default;

QString PolicyService::folder() const
{
    return m_folder;
}

QList<PolicyProblem> PolicyService::loadUserPolicies()
{
    if (!m_folder.isEmpty() && !QFileInfo::exists(m_folder)) {
        if (Status s = DataPaths::ensurePrivateDir(m_folder); !s) {
            qCWarning(lcPolicy) << "cannot create the policy folder:" << s.errorMessage();
        } else {
            QFile readme(QDir(m_folder).filePath(QStringLiteral("README.txt")));
            if (!readme.open(QIODevice::WriteOnly | QIODevice::NewOnly)
                || readme.write(kPolicyFolderReadme) < 0)
                qCWarning(lcPolicy) << "cannot write" << readme.fileName() << readme.errorString();
        }
    }
    return m_engine->loadUserPolicies(m_folder);
}

void PolicyService::replaceGrants(const QList<PolicySource> &grants)
{
    m_engine->replaceAddedPolicies(grants);
}

QList<PolicyProblem> PolicyService::problems() const
{
    return m_engine->problems();
}

QList<PolicyInfo> PolicyService::policies() const
{
    return m_engine->policies();
}

int PolicyService::policyCount() const
{
    return int(m_engine->policyIds().size());
}

QString PolicyService::engineName() const
{
    return m_engine->name();
}

PolicyDecision PolicyService::decide(const PolicyRequest &request) const
{
    return m_engine->decide(request);
}

PolicyExplanation PolicyService::explain(const PolicyRequest &request) const
{
    return m_engine->explain(request);
}

} // namespace Spool
