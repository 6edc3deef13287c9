#include "core/logging.h"

Q_LOGGING_CATEGORY(lcJournal, "spool.engine.journal", QtWarningMsg)
Q_LOGGING_CATEGORY(lcSessions, "spool.engine.sessions", QtWarningMsg)
Q_LOGGING_CATEGORY(lcRuns, "spool.engine.runs", QtWarningMsg)
Q_LOGGING_CATEGORY(lcProviders, "spool.engine.providers", QtWarningMsg)
Q_LOGGING_CATEGORY(lcTools, "spool.engine.tools", QtWarningMsg)
Q_LOGGING_CATEGORY(lcPolicy, "spool.engine.policy", QtWarningMsg)
Q_LOGGING_CATEGORY(lcApprovals, "spool.engine.approvals", QtWarningMsg)
Q_LOGGING_CATEGORY(lcGateway, "spool.engine.gateway", QtWarningMsg)
Q_LOGGING_CATEGORY(lcMcp, "spool.engine.mcp", QtWarningMsg)
Q_LOGGING_CATEGORY(lcMemory, "spool.engine.memory", QtWarningMsg)
// The local API logs its refusals (with their reasons) at info level, shown by default.
Q_LOGGING_CATEGORY(lcApi, "spool.engine.api", QtInfoMsg)
