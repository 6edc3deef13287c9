#include "journal/migrations.h"

namespace Spool {

namespace {

QList<Migration> buildMigrations()
{
    QList<Migration> list;

    list.append(Migration{
        1,
        QStringLiteral("core tables: instances, agents, sessions, runs, tape, approvals"),
        {
            QStringLiteral(R"(CREATE TABLE meta(
                key TEXT PRIMARY KEY,
                value TEXT NOT NULL))"),

            // One row per process that opened the journal; runs point at their owner.
            QStringLiteral(R"(CREATE TABLE instances(
                id TEXT PRIMARY KEY,
                pid INTEGER NOT NULL,
                host TEXT NOT NULL,
                proc_start TEXT NOT NULL DEFAULT '',
                front_end TEXT NOT NULL,
                started_at INTEGER NOT NULL,
                heartbeat_at INTEGER NOT NULL,
                stopped_at INTEGER))"),

            QStringLiteral(R"(CREATE TABLE agents(
                name TEXT PRIMARY KEY,
                system_prompt TEXT NOT NULL,
                provider TEXT NOT NULL,
                model TEXT NOT NULL,
                tool_allowlist TEXT NOT NULL DEFAULT '[]',
                approval_mode TEXT NOT NULL DEFAULT 'policy',
                created_at INTEGER NOT NULL,
                updated_at INTEGER NOT NULL))"),

            QStringLiteral(R"(CREATE TABLE sessions(
                id TEXT PRIMARY KEY,
                key TEXT CHECK(key IS NULL OR length(key) BETWEEN 1 AND 128),
                title TEXT NOT NULL DEFAULT '',
                title_source TEXT NOT NULL DEFAULT 'none'
                    CHECK(title_source IN ('none', 'auto', 'user')),
                principal TEXT NOT NULL,
                device_id TEXT NOT NULL,
                agent TEXT NOT NULL,
                model TEXT NOT NULL DEFAULT '',
                workspace TEXT NOT NULL DEFAULT '',
                created_at INTEGER NOT NULL,
                updated_at INTEGER NOT NULL,
                last_activity_at INTEGER NOT NULL,
                archived_at INTEGER,
                context_floor INTEGER NOT NULL DEFAULT 0))"),
            // A key is unique among live sessions only: archiving frees it.
            QStringLiteral("CREATE UNIQUE INDEX sessions_live_key ON sessions(key) "
                           "WHERE key IS NOT NULL AND archived_at IS NULL"),
            QStringLiteral("CREATE INDEX sessions_activity ON sessions(last_activity_at)"),

            QStringLiteral(R"(CREATE TABLE runs(
                id TEXT PRIMARY KEY,
                session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
                ordinal INTEGER NOT NULL,
                agent TEXT NOT NULL,
                provider TEXT NOT NULL,
                model TEXT NOT NULL,
                state TEXT NOT NULL
                    CHECK(state IN ('accepted', 'running', 'succeeded', 'failed', 'cancelled')),
                reason TEXT NOT NULL DEFAULT '',
                detail TEXT NOT NULL DEFAULT '',
                input_preview TEXT NOT NULL DEFAULT '',
                created_at INTEGER NOT NULL,
                started_at INTEGER,
                ended_at INTEGER,
                owner_instance TEXT NOT NULL,
                heartbeat_at INTEGER NOT NULL,
                cancel_requested_at INTEGER,
                cancel_requested_by TEXT,
                prompt_tokens INTEGER NOT NULL DEFAULT 0,
                completion_tokens INTEGER NOT NULL DEFAULT 0,
                UNIQUE(session_id, ordinal)))"),
            QStringLiteral("CREATE INDEX runs_active ON runs(state) "
                           "WHERE state IN ('accepted', 'running')"),
            QStringLiteral("CREATE INDEX runs_created ON runs(created_at)"),
            // The lifecycle is enforced in code (RunStateMachine); the journal refuses to let a
            // terminal state change even if a bug or another tool tries.
            QStringLiteral(R"(CREATE TRIGGER runs_terminal_is_final
                BEFORE UPDATE OF state ON runs
                WHEN OLD.state IN ('succeeded', 'failed', 'cancelled') AND NEW.state IS NOT OLD.state
                BEGIN SELECT RAISE(ABORT, 'run state is terminal'); END)"),

            QStringLiteral(R"(CREATE TABLE orchestrator_tape(
                id INTEGER PRIMARY KEY,
                run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
                seq INTEGER NOT NULL CHECK(seq >= 1),
                kind TEXT NOT NULL,
                created_at INTEGER NOT NULL,
                payload TEXT NOT NULL,
                UNIQUE(run_id, seq)))"),
            // seq must continue the run's tape without a gap, whoever inserts.
            QStringLiteral(R"(CREATE TRIGGER orchestrator_tape_contiguous
                BEFORE INSERT ON orchestrator_tape
                WHEN NEW.seq IS NOT (SELECT COALESCE(MAX(seq), 0) + 1 FROM orchestrator_tape
                                     WHERE run_id = NEW.run_id)
                BEGIN SELECT RAISE(ABORT, 'orchestrator_tape seq must be contiguous'); END)"),
            QStringLiteral(R"(CREATE TRIGGER orchestrator_tape_no_update
                BEFORE UPDATE ON orchestrator_tape
                BEGIN SELECT RAISE(ABORT, 'orchestrator_tape is append-only'); END)"),
            // Rows go only together with their run (deleting a session cascades to its runs).
            QStringLiteral(R"(CREATE TRIGGER orchestrator_tape_no_delete
                BEFORE DELETE ON orchestrator_tape
                WHEN EXISTS (SELECT 1 FROM runs WHERE id = OLD.run_id)
                BEGIN SELECT RAISE(ABORT, 'orchestrator_tape is append-only'); END)"),

            QStringLiteral(R"(CREATE TABLE approvals(
                id TEXT PRIMARY KEY,
                run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
                session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
                call_id TEXT NOT NULL,
                tool TEXT NOT NULL,
                arguments TEXT NOT NULL,
                risk TEXT NOT NULL,
                explanation TEXT NOT NULL DEFAULT '',
                status TEXT NOT NULL DEFAULT 'pending'
                    CHECK(status IN ('pending', 'allow', 'deny', 'timeout', 'cancelled')),
                scope TEXT CHECK(scope IS NULL OR scope IN ('once', 'session', 'always')),
                decided_by TEXT,
                reason TEXT NOT NULL DEFAULT '',
                created_at INTEGER NOT NULL,
                expires_at INTEGER NOT NULL,
                decided_at INTEGER,
                applied_at INTEGER))"),
            QStringLiteral("CREATE INDEX approvals_pending ON approvals(run_id) "
                           "WHERE status = 'pending'"),
            QStringLiteral("CREATE INDEX approvals_session_grants ON approvals(session_id, tool) "
                           "WHERE status = 'allow' AND scope = 'session'"),
            // A decision is made once: nothing may move an approval out of a decided state.
            QStringLiteral(R"(CREATE TRIGGER approvals_decided_is_final
                BEFORE UPDATE OF status ON approvals
                WHEN OLD.status IS NOT 'pending' AND NEW.status IS NOT OLD.status
                BEGIN SELECT RAISE(ABORT, 'approval already decided'); END)"),
        },
    });

    list.append(Migration{
        2,
        QStringLiteral("full-text search over inputs and replies"),
        {
            QStringLiteral("CREATE VIRTUAL TABLE session_search USING fts5("
                           "text, session_id UNINDEXED, run_id UNINDEXED, "
                           "tokenize = 'unicode61 remove_diacritics 2')"),
            // The index follows the tape by itself; its rowid is the tape row's id.
            QStringLiteral(R"(CREATE TRIGGER session_search_index
                AFTER INSERT ON orchestrator_tape
                WHEN NEW.kind IN ('input', 'assistant.message')
                BEGIN
                    INSERT INTO session_search(rowid, text, session_id, run_id)
                    VALUES (NEW.id, json_extract(NEW.payload, '$.text'),
                            (SELECT session_id FROM runs WHERE id = NEW.run_id), NEW.run_id);
                END)"),
            QStringLiteral(R"(CREATE TRIGGER session_search_forget
                AFTER DELETE ON orchestrator_tape
                WHEN OLD.kind IN ('input', 'assistant.message')
                BEGIN DELETE FROM session_search WHERE rowid = OLD.id; END)"),
            QStringLiteral(R"(INSERT INTO session_search(rowid, text, session_id, run_id)
                SELECT t.id, json_extract(t.payload, '$.text'), r.session_id, t.run_id
                FROM orchestrator_tape t JOIN runs r ON r.id = t.run_id
                WHERE t.kind IN ('input', 'assistant.message'))"),
        },
    });

    list.append(Migration{
        3,
        QStringLiteral("policy grants: \"always\" approvals as generated Cedar permits"),
        {
            // No foreign key to the approval: a grant outlives the session it came from.
            QStringLiteral(R"(CREATE TABLE policy_grants(
                id TEXT PRIMARY KEY,
                principal TEXT NOT NULL,
                tool TEXT NOT NULL,
                constraints TEXT NOT NULL,
                policy_text TEXT NOT NULL,
                created_at INTEGER NOT NULL,
                created_by TEXT NOT NULL,
                source_approval_id TEXT,
                revoked_at INTEGER,
                revoked_by TEXT))"),
            QStringLiteral("CREATE INDEX policy_grants_active ON policy_grants(created_at) "
                           "WHERE revoked_at IS NULL"),
            // One approval, at most one grant: the decision is applied exactly once.
            QStringLiteral("CREATE UNIQUE INDEX policy_grants_source ON policy_grants(source_approval_id) "
                           "WHERE source_approval_id IS NOT NULL"),
            // A grant is never edited, and a revoked grant stays revoked.
            QStringLiteral(R"(CREATE TRIGGER policy_grants_immutable
                BEFORE UPDATE OF id, principal, tool, constraints, policy_text, created_at,
                                 created_by, source_approval_id ON policy_grants
                BEGIN SELECT RAISE(ABORT, 'policy grants are not edited; revoke and grant again'); END)"),
            QStringLiteral(R"(CREATE TRIGGER policy_grants_revoked_is_final
                BEFORE UPDATE OF revoked_at, revoked_by ON policy_grants
                WHEN OLD.revoked_at IS NOT NULL
                BEGIN SELECT RAISE(ABORT, 'policy grant already revoked'); END)"),
        },
    });

    list.append(Migration{
        4,
        QStringLiteral("approval previews: what a call would do, shown with the request"),
        {
            QStringLiteral("ALTER TABLE approvals ADD COLUMN preview TEXT NOT NULL DEFAULT '{}'"),
        },
    });

    list.append(Migration{
        5,
        QStringLiteral("memory: items, their full-text index, vectors, imported documents"),
        {
            // Ids are never reused (AUTOINCREMENT): a forgotten item's id cannot come to name
            // another. A global item has no scope key; an agent or session item has one.
            QStringLiteral(R"(CREATE TABLE memory_items(
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                text TEXT NOT NULL CHECK(length(text) > 0),
                source TEXT NOT NULL CHECK(source IN ('user', 'agent', 'file', 'run')),
                source_ref TEXT NOT NULL DEFAULT '',
                chunk INTEGER,
                heading TEXT NOT NULL DEFAULT '',
                scope TEXT NOT NULL CHECK(scope IN ('global', 'agent', 'session')),
                scope_key TEXT NOT NULL DEFAULT '',
                tags TEXT NOT NULL DEFAULT '[]',
                pinned INTEGER NOT NULL DEFAULT 0 CHECK(pinned IN (0, 1)),
                created_at INTEGER NOT NULL,
                updated_at INTEGER NOT NULL,
                expires_at INTEGER,
                content_hash TEXT NOT NULL,
                run_id TEXT,
                CHECK((scope = 'global') = (scope_key = ''))))"),
            // The same text is stored once per scope (and, for files, once per file).
            QStringLiteral("CREATE UNIQUE INDEX memory_items_unique ON memory_items("
                           "scope, scope_key, source_ref, content_hash)"),
            QStringLiteral("CREATE INDEX memory_items_file ON memory_items(source_ref) "
                           "WHERE source = 'file'"),
            QStringLiteral("CREATE INDEX memory_items_created ON memory_items(created_at)"),

            // The index follows the items by itself (an external-content FTS5 table).
            QStringLiteral("CREATE VIRTUAL TABLE memory_fts USING fts5("
                           "text, tags, content = 'memory_items', content_rowid = 'id', "
                           "tokenize = 'porter unicode61 remove_diacritics 2')"),
            QStringLiteral(R"(CREATE TRIGGER memory_fts_insert AFTER INSERT ON memory_items
                BEGIN
                    INSERT INTO memory_fts(rowid, text, tags) VALUES (NEW.id, NEW.text, NEW.tags);
                END)"),
            QStringLiteral(R"(CREATE TRIGGER memory_fts_delete AFTER DELETE ON memory_items
                BEGIN
                    INSERT INTO memory_fts(memory_fts, rowid, text, tags)
                    VALUES ('delete', OLD.id, OLD.text, OLD.tags);
                END)"),
            QStringLiteral(R"(CREATE TRIGGER memory_fts_update AFTER UPDATE OF text, tags ON memory_items
                BEGIN
                    INSERT INTO memory_fts(memory_fts, rowid, text, tags)
                    VALUES ('delete', OLD.id, OLD.text, OLD.tags);
                    INSERT INTO memory_fts(rowid, text, tags) VALUES (NEW.id, NEW.text, NEW.tags);
                END)"),

            // One vector per item, of the embedding model in use; derived data, recomputed in
            // the background. An edited text invalidates its vector.
            QStringLiteral(R"(CREATE TABLE memory_vectors(
                item_id INTEGER PRIMARY KEY REFERENCES memory_items(id) ON DELETE CASCADE,
                model TEXT NOT NULL,
                dim INTEGER NOT NULL CHECK(dim BETWEEN 1 AND 65536),
                vector BLOB NOT NULL CHECK(length(vector) = 4 * dim),
                created_at INTEGER NOT NULL))"),
            QStringLiteral("CREATE INDEX memory_vectors_model ON memory_vectors(model)"),
            QStringLiteral(R"(CREATE TRIGGER memory_vectors_stale AFTER UPDATE OF text ON memory_items
                BEGIN DELETE FROM memory_vectors WHERE item_id = NEW.id; END)"),

            // Every change to an item or its vector, in order: each process keeps its search
            // index in step by reading what came after the last change it saw.
            QStringLiteral(R"(CREATE TABLE memory_changes(
                seq INTEGER PRIMARY KEY AUTOINCREMENT,
                item_id INTEGER NOT NULL))"),
            QStringLiteral(R"(CREATE TRIGGER memory_changes_insert AFTER INSERT ON memory_items
                BEGIN INSERT INTO memory_changes(item_id) VALUES (NEW.id); END)"),
            QStringLiteral(R"(CREATE TRIGGER memory_changes_update AFTER UPDATE ON memory_items
                BEGIN INSERT INTO memory_changes(item_id) VALUES (NEW.id); END)"),
            QStringLiteral(R"(CREATE TRIGGER memory_changes_delete AFTER DELETE ON memory_items
                BEGIN INSERT INTO memory_changes(item_id) VALUES (OLD.id); END)"),
            QStringLiteral(R"(CREATE TRIGGER memory_changes_vector AFTER INSERT ON memory_vectors
                BEGIN INSERT INTO memory_changes(item_id) VALUES (NEW.item_id); END)"),
            QStringLiteral(R"(CREATE TRIGGER memory_changes_vector_gone AFTER DELETE ON memory_vectors
                BEGIN INSERT INTO memory_changes(item_id) VALUES (OLD.item_id); END)"),
            QStringLiteral(R"(CREATE TRIGGER memory_changes_vector_update AFTER UPDATE ON memory_vectors
                BEGIN INSERT INTO memory_changes(item_id) VALUES (NEW.item_id); END)"),

            // Imported files: what was read last time, so a re-import touches only what changed.
            // Forgetting a file forgets its chunks.
            QStringLiteral(R"(CREATE TABLE memory_documents(
                path TEXT PRIMARY KEY,
                root TEXT NOT NULL,
                file_hash TEXT NOT NULL,
                bytes INTEGER NOT NULL,
                chunks INTEGER NOT NULL,
                scope TEXT NOT NULL DEFAULT 'global',
                scope_key TEXT NOT NULL DEFAULT '',
                imported_at INTEGER NOT NULL))"),
            QStringLiteral("CREATE INDEX memory_documents_root ON memory_documents(root)"),
            QStringLiteral(R"(CREATE TRIGGER memory_documents_forget AFTER DELETE ON memory_documents
                BEGIN DELETE FROM memory_items WHERE source = 'file' AND source_ref = OLD.path; END)"),
        },
    });

    return list;
}

} // namespace

const QList<Migration> &journalMigrations()
{
    static const QList<Migration> migrations = buildMigrations();
    return migrations;
}

int latestJournalSchemaVersion()
{
    return journalMigrations().constLast().version;
}

} // namespace Spool
