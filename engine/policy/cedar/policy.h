#pragma once

#include "policy/cedar/entityuid.h"
#include "policy/cedar/expr.h"

#include <QList>
#include <QString>

#include <memory>
#include <optional>

namespace Spool::Cedar {

// One parsed Cedar policy: effect, annotations, the principal / action / resource scope and
// the when / unless conditions. Cheap to copy: the condition trees are shared and immutable.
class Policy
{
public:
    enum class Effect : quint8 { Permit, Forbid };

    struct Annotation
    {
        QString key;
        QString value; // empty for `@key` without a value
    };

    // A scope constraint on one of principal, action, resource.
    struct Scope
    {
        enum class Kind : quint8 {
            Any,   // principal
            Equal, // principal == E
            In,    // principal in E; action in [E1, E2] (entities holds the list)
            Is,    // principal is T
            IsIn,  // principal is T in E
        };
        Kind kind = Kind::Any;
        QString entityType;        // Is, IsIn
        QList<EntityUid> entities; // Equal, In, IsIn
        bool isList = false;       // written as a list: `action in [..]`
    };

    struct Condition
    {
        bool when = true; // false: unless
        std::shared_ptr<const Expr> body;
    };

    QString id() const { return m_id; }
    void setId(const QString &id) { m_id = id; }

    Effect effect() const { return m_effect; }
    const QList<Annotation> &annotations() const { return m_annotations; }
    // The annotation's value, or std::nullopt when the policy does not carry it.
    std::optional<QString> annotation(const QString &key) const;

    const Scope &principalScope() const { return m_principal; }
    const Scope &actionScope() const { return m_action; }
    const Scope &resourceScope() const { return m_resource; }
    const QList<Condition> &conditions() const { return m_conditions; }

    // Where the policy starts in its source (1-based) and its text as written.
    int line() const { return m_line; }
    int column() const { return m_column; }
    QString sourceText() const { return m_sourceText; }

    // Cedar source form, normalised (used by explanations and round-trip tests).
    QString toString() const;

private:
    friend class PolicyParserImpl; // fills the members as it reads

    QString m_id;
    Effect m_effect = Effect::Permit;
    QList<Annotation> m_annotations;
    Scope m_principal;
    Scope m_action;
    Scope m_resource;
    QList<Condition> m_conditions;
    int m_line = 0;
    int m_column = 0;
    QString m_sourceText;
};

} // namespace Spool::Cedar
