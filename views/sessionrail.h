#pragma once

#include <QWidget>

class QLineEdit;
class QListView;
class QToolButton;
class QCheckBox;

namespace Spool {

class SessionListModel;

// The left rail: search, a new-session button, and the sessions grouped by recency.
class SessionRail : public QWidget
{
    Q_OBJECT
public:
    explicit SessionRail(SessionListModel *model, QWidget *parent = nullptr);

    QString currentSessionId() const;
    void selectSession(const QString &id);
    void focusSearch();
    QString searchText() const;
    bool showArchived() const;
    QListView *list() const { return m_list; }

signals:
    void sessionActivated(const QString &id);
    void newSessionRequested();
    void searchChanged(const QString &text);
    void showArchivedChanged(bool show);
    void renameRequested(const QString &id);
    void archiveRequested(const QString &id, bool archive);
    void resetRequested(const QString &id);
    void deleteRequested(const QString &id);

private:
    void showContextMenu(const QPoint &pos);

    SessionListModel *m_model;
    QLineEdit *m_search = nullptr;
    QToolButton *m_new = nullptr;
    QCheckBox *m_archived = nullptr;
    QListView *m_list = nullptr;
};

} // namespace Spool
