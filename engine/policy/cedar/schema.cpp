#include "policy/cedar/schema.h"

#include "policy/cedar/lexer.h"

#include <QSet>

namespace Spool::Cedar {

using Token = Lexer::Token;
using TokenKind = Token::Kind;

class SchemaParser
{
public:
    SchemaParser(const QString &source, const QString &file)
        : m_tokens(Lexer::tokenize(source)), m_file(file)
    {
    }

    bool parse(Schema &schema)
    {
        while (peek().kind != TokenKind::End) {
            if (!skipAnnotations())
                return false;
            if (atWord("namespace")) {
                ++m_pos;
                auto path = parsePath();
                if (!path || !expectSymbol("{", QStringLiteral("after the namespace name")))
                    return false;
                const QString ns = path->join(QLatin1String("::"));
                while (!atSymbol("}")) {
                    if (peek().kind == TokenKind::End)
                        return fail(peek(), QStringLiteral("expected '}' to close namespace %1").arg(ns));
                    if (!skipAnnotations() || !parseDeclaration(ns))
                        return false;
                }
                ++m_pos;
            } else if (!parseDeclaration(QString())) {
                return false;
            }
        }
        return resolveAll(schema);
    }

    Diagnostic error() const { return m_error; }

private:
    const Token &peek(int k = 0) const
    {
        return m_tokens.at(std::min<qsizetype>(m_pos + k, m_tokens.size() - 1));
    }
    const Token &next() { return m_tokens.at(std::min<qsizetype>(m_pos++, m_tokens.size() - 1)); }
    bool atSymbol(const char *s) const { return peek().isSymbol(QLatin1String(s)); }
    bool atWord(const char *s) const { return peek().isIdentifier(QLatin1String(s)); }

    bool fail(const Token &at, const QString &message)
    {
        m_error = Diagnostic{m_file, at.line, at.column, message, false};
        if (at.kind == TokenKind::Invalid)
            m_error.message = QStringLiteral("unexpected %1").arg(at.text.toString());
        return false;
    }

    QString describe(const Token &t) const
    {
        if (t.kind == TokenKind::End)
            return QStringLiteral("end of input");
        return QLatin1Char('\'') + t.text.toString() + QLatin1Char('\'');
    }

    bool expectSymbol(const char *s, const QString &context)
    {
        if (atSymbol(s)) {
            ++m_pos;
            return true;
        }
        return fail(peek(), QStringLiteral("expected '%1' %2, found %3")
                                    .arg(QLatin1String(s), context, describe(peek())));
    }

    bool skipAnnotations()
    {
        while (atSymbol("@")) {
            ++m_pos;
            if (peek().kind != TokenKind::Identifier)
                return fail(peek(), QStringLiteral("expected an annotation name after '@'"));
            ++m_pos;
            if (atSymbol("(")) {
                ++m_pos;
                if (peek().kind != TokenKind::String)
                    return fail(peek(), QStringLiteral("an annotation's value must be a string"));
                ++m_pos;
                if (!expectSymbol(")", QStringLiteral("after the annotation's value")))
                    return false;
            }
        }
        return true;
    }

    std::optional<QStringList> parsePath()
    {
        if (peek().kind != TokenKind::Identifier) {
            fail(peek(), QStringLiteral("expected a name, found %1").arg(describe(peek())));
            return std::nullopt;
        }
        QStringList parts{next().text.toString()};
        while (atSymbol("::") && peek(1).kind == TokenKind::Identifier) {
            ++m_pos;
            parts.append(next().text.toString());
        }
        return parts;
    }

    std::optional<QString> stringValue(const Token &t)
    {
        QString error;
        qsizetype offset = 0;
        auto s = Lexer::unescape(t.text, &error, &offset);
        if (!s)
            fail(t, error);
        return s;
    }

    // IDENT or STR.
    std::optional<QString> parseName(const QString &what)
    {
        const Token &t = peek();
        if (t.kind == TokenKind::Identifier) {
            ++m_pos;
            return t.text.toString();
        }
        if (t.kind == TokenKind::String) {
            ++m_pos;
            return stringValue(t);
        }
        fail(t, QStringLiteral("expected %1, found %2").arg(what, describe(t)));
        return std::nullopt;
    }

    static QString qualify(const QString &ns, const QString &name)
    {
        return ns.isEmpty() ? name : ns + QLatin1String("::") + name;
    }

    bool parseDeclaration(const QString &ns)
    {
        if (atWord("entity"))
            return parseEntity(ns);
        if (atWord("action"))
            return parseAction(ns);
        if (atWord("type"))
            return parseCommonType(ns);
        return fail(peek(), QStringLiteral("expected 'entity', 'action', 'type' or 'namespace', found %1")
                                    .arg(describe(peek())));
    }

    bool parseEntity(const QString &ns)
    {
        ++m_pos;
        QStringList names;
        do {
            if (peek().kind != TokenKind::Identifier)
                return fail(peek(), QStringLiteral("expected an entity type name, found %1").arg(describe(peek())));
            const Token &t = next();
            names.append(qualify(ns, t.text.toString()));
            if (m_entityTypes.contains(names.last()))
                return fail(t, QStringLiteral("entity type %1 is declared twice").arg(names.last()));
        } while (atSymbol(",") && (++m_pos, true));

        Schema::EntityType declared;
        declared.attributes = std::make_shared<SchemaType>();
        declared.attributes->kind = SchemaType::Kind::Record;
        if (atWord("enum")) {
            ++m_pos;
            if (!expectSymbol("[", QStringLiteral("after 'enum'")))
                return false;
            while (!atSymbol("]")) {
                if (peek().kind != TokenKind::String)
                    return fail(peek(), QStringLiteral("expected a string in the enumeration"));
                if (!stringValue(next()))
                    return false;
                if (atSymbol(","))
                    ++m_pos;
                else if (!atSymbol("]"))
                    return fail(peek(), QStringLiteral("expected ',' or ']' in the enumeration"));
            }
            ++m_pos;
        } else {
            if (atWord("in")) {
                ++m_pos;
                if (!parseTypeList(ns, nullptr))
                    return false;
            }
            if (atSymbol("="))
                ++m_pos;
            if (atSymbol("{")) {
                declared.attributes = parseRecordType(ns);
                if (!declared.attributes)
                    return false;
            }
            if (atWord("tags")) {
                ++m_pos;
                declared.tags = parseType(ns);
                if (!declared.tags)
                    return false;
            }
        }
        if (!expectSymbol(";", QStringLiteral("after the entity declaration")))
            return false;
        for (const QString &n : names)
            m_entityTypes.insert(n, declared);
        return true;
    }

    // `A` or `[A, B]`: entity type names, collected (unresolved) into `out` when given.
    bool parseTypeList(const QString &ns, QList<SchemaTypePtr> *out)
    {
        auto one = [&]() {
            auto path = parsePath();
            if (!path)
                return false;
            if (out) {
                auto t = std::make_shared<SchemaType>();
                t->name = path->join(QLatin1String("::"));
                t->scope = ns;
                out->append(t);
            }
            return true;
        };
        if (!atSymbol("["))
            return one();
        ++m_pos;
        while (!atSymbol("]")) {
            if (!one())
                return false;
            if (atSymbol(","))
                ++m_pos;
            else if (!atSymbol("]"))
                return fail(peek(), QStringLiteral("expected ',' or ']', found %1").arg(describe(peek())));
        }
        ++m_pos;
        return true;
    }

    std::optional<EntityUid> parseActionRef(const QString &ns)
    {
        // `name`, `"name"`, or `Path::"name"`.
        if (peek().kind == TokenKind::Identifier && peek(1).isSymbol(QLatin1String("::"))) {
            auto path = parsePath();
            if (!path)
                return std::nullopt;
            if (!atSymbol("::") || peek(1).kind != TokenKind::String) {
                fail(peek(), QStringLiteral("expected an action such as Action::\"name\""));
                return std::nullopt;
            }
            ++m_pos;
            auto id = stringValue(next());
            if (!id)
                return std::nullopt;
            QString type = path->join(QLatin1String("::"));
            // An unqualified `Action` is the action type of the enclosing namespace.
            if (path->size() == 1)
                type = qualify(ns, type);
            return EntityUid(type, *id);
        }
        auto name = parseName(QStringLiteral("an action name"));
        if (!name)
            return std::nullopt;
        return EntityUid(qualify(ns, QStringLiteral("Action")), *name);
    }

    bool parseAction(const QString &ns)
    {
        ++m_pos;
        QList<EntityUid> uids;
        do {
            auto name = parseName(QStringLiteral("an action name"));
            if (!name)
                return false;
            uids.append(EntityUid(qualify(ns, QStringLiteral("Action")), *name));
        } while (atSymbol(",") && (++m_pos, true));

        Schema::Action declared;
        if (atWord("in")) {
            ++m_pos;
            if (atSymbol("[")) {
                ++m_pos;
                while (!atSymbol("]")) {
                    auto ref = parseActionRef(ns);
                    if (!ref)
                        return false;
                    declared.parents.append(*ref);
                    if (atSymbol(","))
                        ++m_pos;
                    else if (!atSymbol("]"))
                        return fail(peek(), QStringLiteral("expected ',' or ']', found %1").arg(describe(peek())));
                }
                ++m_pos;
            } else {
                auto ref = parseActionRef(ns);
                if (!ref)
                    return false;
                declared.parents.append(*ref);
            }
        }
        if (atWord("appliesTo")) {
            ++m_pos;
            if (!expectSymbol("{", QStringLiteral("after 'appliesTo'")))
                return false;
            while (!atSymbol("}")) {
                const Token &key = peek();
                if (key.isIdentifier(QLatin1String("principal")) || key.isIdentifier(QLatin1String("resource"))) {
                    ++m_pos;
                    if (!expectSymbol(":", QStringLiteral("after '%1'").arg(key.text.toString()))
                        || !parseTypeList(ns, nullptr))
                        return false;
                } else if (key.isIdentifier(QLatin1String("context"))) {
                    ++m_pos;
                    if (!expectSymbol(":", QStringLiteral("after 'context'")))
                        return false;
                    declared.context = parseType(ns);
                    if (!declared.context)
                        return false;
                } else {
                    return fail(key, QStringLiteral("expected 'principal', 'resource' or 'context', found %1")
                                             .arg(describe(key)));
                }
                if (atSymbol(","))
                    ++m_pos;
                else if (!atSymbol("}"))
                    return fail(peek(), QStringLiteral("expected ',' or '}' in appliesTo, found %1").arg(describe(peek())));
            }
            ++m_pos;
        }
        if (atWord("attributes")) {
            ++m_pos;
            if (!parseRecordType(ns))
                return false;
        }
        if (!expectSymbol(";", QStringLiteral("after the action declaration")))
            return false;
        for (const EntityUid &uid : uids) {
            if (m_actions.contains(uid))
                return fail(peek(), QStringLiteral("action %1 is declared twice").arg(uid.toString()));
            Schema::Action a = declared;
            a.uid = uid;
            m_actions.insert(uid, a);
        }
        return true;
    }

    bool parseCommonType(const QString &ns)
    {
        ++m_pos;
        if (peek().kind != TokenKind::Identifier)
            return fail(peek(), QStringLiteral("expected a type name after 'type'"));
        const Token &name = next();
        if (!expectSymbol("=", QStringLiteral("after the type name")))
            return false;
        SchemaTypePtr t = parseType(ns);
        if (!t || !expectSymbol(";", QStringLiteral("after the type")))
            return false;
        m_commonTypes.insert(qualify(ns, name.text.toString()), t);
        return true;
    }

    SchemaTypePtr parseType(const QString &ns)
    {
        // Types nest through Set<...> and records; bound it so hostile input cannot exhaust
        // the stack.
        struct Depth
        {
            explicit Depth(int &d) : depth(++d) {}
            ~Depth() { --depth; }
            int &depth;
        } guard(m_typeDepth);
        if (m_typeDepth > 200) {
            fail(peek(), QStringLiteral("the type is nested too deeply"));
            return nullptr;
        }
        if (atSymbol("{"))
            return parseRecordType(ns);
        if (atWord("Set") && peek(1).isSymbol(QLatin1String("<"))) {
            m_pos += 2;
            auto t = std::make_shared<SchemaType>();
            t->kind = SchemaType::Kind::Set;
            t->element = parseType(ns);
            if (!t->element || !expectSymbol(">", QStringLiteral("to close Set<")))
                return nullptr;
            return t;
        }
        auto path = parsePath();
        if (!path)
            return nullptr;
        auto t = std::make_shared<SchemaType>();
        t->name = path->join(QLatin1String("::"));
        t->scope = ns;
        return t;
    }

    SchemaTypePtr parseRecordType(const QString &ns)
    {
        if (!expectSymbol("{", QStringLiteral("to start a record type")))
            return nullptr;
        auto record = std::make_shared<SchemaType>();
        record->kind = SchemaType::Kind::Record;
        while (!atSymbol("}")) {
            if (!skipAnnotations())
                return nullptr;
            auto name = parseName(QStringLiteral("an attribute name"));
            if (!name)
                return nullptr;
            SchemaType::Attribute a;
            if (atSymbol("?")) {
                ++m_pos;
                a.required = false;
            }
            if (!expectSymbol(":", QStringLiteral("after the attribute name")))
                return nullptr;
            a.type = parseType(ns);
            if (!a.type)
                return nullptr;
            record->attributes.insert(*name, a);
            if (atSymbol(","))
                ++m_pos;
            else if (!atSymbol("}")) {
                fail(peek(), QStringLiteral("expected ',' or '}' in the record type, found %1").arg(describe(peek())));
                return nullptr;
            }
        }
        ++m_pos;
        return record;
    }

    // ---- name resolution ----

    bool builtin(const QString &name, SchemaType &t) const
    {
        static const QHash<QString, QPair<SchemaType::Kind, QString>> builtins{
            {QStringLiteral("Bool"), {SchemaType::Kind::Bool, QString()}},
            {QStringLiteral("Boolean"), {SchemaType::Kind::Bool, QString()}},
            {QStringLiteral("Long"), {SchemaType::Kind::Long, QString()}},
            {QStringLiteral("String"), {SchemaType::Kind::String, QString()}},
            {QStringLiteral("ipaddr"), {SchemaType::Kind::Extension, QStringLiteral("ipaddr")}},
            {QStringLiteral("decimal"), {SchemaType::Kind::Extension, QStringLiteral("decimal")}},
            {QStringLiteral("datetime"), {SchemaType::Kind::Extension, QStringLiteral("datetime")}},
            {QStringLiteral("duration"), {SchemaType::Kind::Extension, QStringLiteral("duration")}},
        };
        const auto it = builtins.constFind(name);
        if (it == builtins.constEnd())
            return false;
        t.kind = it->first;
        t.name = it->second;
        return true;
    }

    // Resolves `t` in place: a common type is replaced by its definition, an entity type name
    // is qualified, a builtin gets its kind.
    bool resolve(SchemaType &t, int depth = 0)
    {
        if (depth > 64)
            return fail(peek(), QStringLiteral("common types refer to each other in a cycle"));
        switch (t.kind) {
        case SchemaType::Kind::Set:
            return resolve(*t.element, depth + 1);
        case SchemaType::Kind::Record:
            for (auto &a : t.attributes) {
                if (!resolve(*a.type, depth + 1))
                    return false;
            }
            return true;
        case SchemaType::Kind::Unresolved:
            break;
        default:
            return true;
        }
        const QString name = t.name;
        if (name.startsWith(QLatin1String("__cedar::")))
            return builtin(name.mid(9), t) || fail(peek(), QStringLiteral("unknown type %1").arg(name));
        QStringList candidates;
        if (!name.contains(QLatin1String("::")) && !t.scope.isEmpty())
            candidates.append(qualify(t.scope, name));
        candidates.append(name);
        for (const QString &c : candidates) {
            if (const auto common = m_commonTypes.constFind(c); common != m_commonTypes.constEnd()) {
                t = **common;
                return resolve(t, depth + 1);
            }
            if (m_entityTypes.contains(c)) {
                t.kind = SchemaType::Kind::Entity;
                t.name = c;
                return true;
            }
        }
        if (builtin(name, t))
            return true;
        // An entity type the schema does not declare (it may come from data alone): keep the
        // name as written, qualified as Cedar would.
        t.kind = SchemaType::Kind::Entity;
        t.name = name;
        return true;
    }

    bool resolveAll(Schema &schema)
    {
        for (auto it = m_entityTypes.begin(); it != m_entityTypes.end(); ++it) {
            if (!resolve(*it->attributes) || (it->tags && !resolve(*it->tags)))
                return false;
        }
        for (auto it = m_actions.begin(); it != m_actions.end(); ++it) {
            if (it->context && !resolve(*it->context))
                return false;
        }
        schema.m_entityTypes = m_entityTypes;
        schema.m_actions = m_actions;
        return true;
    }

    QList<Token> m_tokens;
    QString m_file;
    qsizetype m_pos = 0;
    Diagnostic m_error;
    int m_typeDepth = 0;
    QHash<QString, Schema::EntityType> m_entityTypes;
    QHash<EntityUid, Schema::Action> m_actions;
    QHash<QString, SchemaTypePtr> m_commonTypes;
};

Schema Schema::parse(const QString &text, const QString &fileName, Diagnostics *errors)
{
    Schema schema;
    SchemaParser parser(text, fileName);
    if (!parser.parse(schema)) {
        if (errors)
            errors->append(parser.error());
        return Schema();
    }
    return schema;
}

const SchemaType *Schema::entityAttributes(const QString &type) const
{
    const auto it = m_entityTypes.constFind(type);
    return it == m_entityTypes.constEnd() ? nullptr : it->attributes.get();
}

const SchemaType *Schema::entityTags(const QString &type) const
{
    const auto it = m_entityTypes.constFind(type);
    return it == m_entityTypes.constEnd() ? nullptr : it->tags.get();
}

const Schema::Action *Schema::action(const EntityUid &uid) const
{
    const auto it = m_actions.constFind(uid);
    return it == m_actions.constEnd() ? nullptr : &*it;
}

} // namespace Spool::Cedar
