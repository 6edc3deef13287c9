#pragma once

#include <QPointer>
#include <QWidget>

class QLabel;
class QPushButton;
class QTableWidget;

namespace Spool {

class EngineClient;

// Settings → Permissions: the "always" grants (this tool with these arguments, for you) with
// revoke, and the policy folder with any problems in its files.
class PermissionsPage : public QWidget
{
    Q_OBJECT
public:
    explicit PermissionsPage(EngineClient *engine, QWidget *parent = nullptr);

    QTableWidget *grants() const { return m_grants; }
    QPushButton *revokeButton() const { return m_revoke; }
    void reload();
    void revokeSelected();

signals:
    void status(const QString &message);

private:
    QPointer<EngineClient> m_engine;
    QTableWidget *m_grants = nullptr;
    QPushButton *m_revoke = nullptr;
    QLabel *m_policies = nullptr;
};

} // namespace Spool
