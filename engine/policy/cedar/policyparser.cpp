#include "policy/cedar/policyparser.h"

#include "policy/cedar/evaluator.h"
#include "policy/cedar/lexer.h"

#include <QSet>

#include <algorithm>
#include <limits>
#include <utility>
#include <vector>

namespace Spool::Cedar {

namespace {

using Token = Lexer::Token;
using Kind = Token::Kind;

// How deep expressions may nest (counting parentheses, and the length of operator chains,
// which build left-deep trees). Deep enough for any policy a person writes (the generated
// conformance corpus nests about 70 levels); shallow enough that evaluating or destroying the
// tree, both recursive, cannot exhaust a thread's stack.
constexpr int kMaxDepth = 1000;
// How tall the parsed tree may be. Operator chains and `if` cost one unit of kMaxDepth per
// level, but print (Policy::toString) with a parenthesis per level, which costs up to three
// when read back (`(if (if ...`): without this a 900-term sum or 400 nested `if`s parsed, but
// their printed forms did not (found by fuzz/fuzz_cedar). A third of the depth, less a
// margin for what surrounds the expression; still far above what people write.
constexpr int kMaxTreeHeight = kMaxDepth / 3 - 10;

// The height of the tree, walked without recursion: the tree is what is being checked.
int treeHeight(const Expr &root)
{
    int height = 0;
    std::vector<std::pair<const Expr *, int>> pending{{&root, 1}};
    while (!pending.empty()) {
        const auto [e, level] = pending.back();
        pending.pop_back();
        height = std::max(height, level);
        for (const auto &operand : e->operands)
            pending.emplace_back(operand.get(), level + 1);
    }
    return height;
}

struct MethodInfo
{
    const char *name;
    Expr::Kind kind; // Call for extension methods
    Expr::Function function;
    int arguments; // not counting the receiver
};

// Cedar's builtin methods; extension functions and methods come from Expr's table.
const MethodInfo kMethods[] = {
    {"contains", Expr::Kind::Contains, Expr::Function::Decimal, 1},
    {"containsAll", Expr::Kind::ContainsAll, Expr::Function::Decimal, 1},
    {"containsAny", Expr::Kind::ContainsAny, Expr::Function::Decimal, 1},
    {"isEmpty", Expr::Kind::IsEmpty, Expr::Function::Decimal, 0},
    {"hasTag", Expr::Kind::HasTag, Expr::Function::Decimal, 1},
    {"getTag", Expr::Kind::GetTag, Expr::Function::Decimal, 1},
};

// The method of that name: a builtin one, or an extension method (kind Call).
std::optional<MethodInfo> methodNamed(QStringView name)
{
    for (const MethodInfo &m : kMethods) {
        if (name == QLatin1String(m.name))
            return m;
    }
    if (const auto f = Expr::functionNamed(name); f && Expr::isMethod(*f))
        return MethodInfo{nullptr, Expr::Kind::Call, *f, Expr::functionArity(*f) - 1};
    return std::nullopt;
}

// Words that can never be a name in an expression.
bool isReserved(QStringView word)
{
    static const char *const reserved[] = {"true", "false", "if", "then", "else",
                                           "in",   "is",    "has", "like"};
    for (const char *r : reserved) {
        if (word == QLatin1String(r))
            return true;
    }
    return false;
}

std::optional<Expr::Variable> variableOf(QStringView word)
{
    if (word == QLatin1String("principal"))
        return Expr::Variable::Principal;
    if (word == QLatin1String("action"))
        return Expr::Variable::Action;
    if (word == QLatin1String("resource"))
        return Expr::Variable::Resource;
    if (word == QLatin1String("context"))
        return Expr::Variable::Context;
    return std::nullopt;
}

QString describe(const Token &t)
{
    switch (t.kind) {
    case Kind::End: return QStringLiteral("end of input");
    case Kind::String: return QStringLiteral("string %1").arg(t.text.toString());
    case Kind::Invalid:
        if (t.text.startsWith(QLatin1Char('"')))
            return QStringLiteral("a string without its closing quote");
        return QStringLiteral("character '%1'").arg(t.text.toString());
    default: return QLatin1Char('\'') + t.text.toString() + QLatin1Char('\'');
    }
}

} // namespace

class PolicyParserImpl
{
public:
    PolicyParserImpl(const QString &source, const QString &fileName)
        : m_tokens(Lexer::tokenize(source)), m_source(source), m_file(fileName)
    {
    }

    PolicyParser::Parsed parsePolicies()
    {
        PolicyParser::Parsed out;
        int index = 0;
        while (peek().kind != Kind::End) {
            m_failed = false;
            const qsizetype startPos = m_pos;
            std::optional<Policy> p = parsePolicy();
            if (p) {
                p->setId(QStringLiteral("policy%1").arg(index));
                out.policies.append(*p);
            } else {
                out.errors.append(m_error);
                // Resynchronise after the next `;` (strings and comments are whole tokens, so
                // a `;` inside them cannot fool this).
                if (m_pos == startPos && peek().kind != Kind::End)
                    ++m_pos;
                while (peek().kind != Kind::End && !peek().isSymbol(QLatin1String(";")))
                    ++m_pos;
                if (peek().isSymbol(QLatin1String(";")))
                    ++m_pos;
            }
            ++index;
        }
        return out;
    }

    // A whole expression (a condition's body): parsed, then refused when its tree is too tall.
    ExprPtr parseWholeExpr()
    {
        const Token &start = peek();
        ExprPtr e = parseExpr();
        if (e && treeHeight(*e) > kMaxTreeHeight)
            return fail(start, QStringLiteral("the expression is nested too deeply; split it into several conditions"));
        return e;
    }

    ExprPtr parseStandaloneExpression(Diagnostics *errors)
    {
        ExprPtr e = parseWholeExpr();
        if (e && peek().kind != Kind::End)
            fail(peek(), QStringLiteral("unexpected %1 after the expression").arg(describe(peek())));
        if (m_failed) {
            if (errors)
                errors->append(m_error);
            return nullptr;
        }
        return e;
    }

private:
    const Token &peek(int k = 0) const
    {
        const qsizetype i = std::min<qsizetype>(m_pos + k, m_tokens.size() - 1);
        return m_tokens.at(i);
    }
    const Token &next() { return m_tokens.at(std::min<qsizetype>(m_pos++, m_tokens.size() - 1)); }

    bool atSymbol(const char *s) const { return peek().isSymbol(QLatin1String(s)); }
    bool atWord(const char *s) const { return peek().isIdentifier(QLatin1String(s)); }

    // Records the first error of the current policy; everything after it is noise.
    std::nullptr_t fail(const Token &atToken, const QString &message, bool unsupported = false)
    {
        // A token the lexer could not read explains the failure better than its neighbour.
        const Token &at = peek().kind == Kind::Invalid    ? peek()
                          : peek(1).kind == Kind::Invalid ? peek(1)
                                                          : atToken;
        if (!m_failed) {
            m_failed = true;
            m_error = Diagnostic{m_file, at.line, at.column, message, unsupported};
            if (at.kind == Kind::Invalid && !unsupported) {
                m_error.message = at.text.startsWith(QLatin1Char('"'))
                                          ? QStringLiteral("string without its closing quote")
                                          : QStringLiteral("unexpected %1").arg(describe(at));
            }
        }
        return nullptr;
    }

    bool expectSymbol(const char *s, const QString &context)
    {
        if (atSymbol(s)) {
            ++m_pos;
            return true;
        }
        fail(peek(), QStringLiteral("expected '%1' %2, found %3")
                             .arg(QLatin1String(s), context, describe(peek())));
        return false;
    }

    // Position of the character at `offset` within the token, for errors inside strings.
    void failInsideString(const Token &t, qsizetype offsetInToken, const QString &message)
    {
        Token at = t;
        int line = t.line;
        int column = t.column;
        for (qsizetype i = 0; i < offsetInToken && i < t.text.size(); ++i) {
            if (t.text.at(i) == QLatin1Char('\n')) {
                ++line;
                column = 1;
            } else if (!t.text.at(i).isLowSurrogate()) {
                ++column;
            }
        }
        at.line = line;
        at.column = column;
        fail(at, message);
    }

    std::optional<QString> stringValue(const Token &t)
    {
        QString error;
        qsizetype offset = 0;
        auto s = Lexer::unescape(t.text, &error, &offset);
        if (!s)
            failInsideString(t, offset, error);
        return s;
    }

    ExprPtr node(Expr::Kind kind, const Token &at)
    {
        auto e = std::make_unique<Expr>();
        e->kind = kind;
        e->line = at.line;
        e->column = at.column;
        return e;
    }

    ExprPtr literal(const Value &v, const Token &at)
    {
        auto e = node(Expr::Kind::Literal, at);
        e->value = v;
        return e;
    }

    // ---- policies ----

    std::optional<Policy> parsePolicy()
    {
        Policy p;
        const Token &first = peek();
        p.m_line = first.line;
        p.m_column = first.column;

        QSet<QString> keys;
        while (atSymbol("@")) {
            ++m_pos;
            const Token &key = peek();
            if (key.kind != Kind::Identifier) {
                fail(key, QStringLiteral("expected an annotation name after '@', found %1").arg(describe(key)));
                return std::nullopt;
            }
            ++m_pos;
            Policy::Annotation a;
            a.key = key.text.toString();
            if (keys.contains(a.key)) {
                fail(key, QStringLiteral("duplicate annotation @%1").arg(a.key));
                return std::nullopt;
            }
            keys.insert(a.key);
            if (atSymbol("(")) {
                ++m_pos;
                const Token &value = peek();
                if (value.kind != Kind::String) {
                    fail(value, QStringLiteral("an annotation's value must be a string, found %1").arg(describe(value)));
                    return std::nullopt;
                }
                ++m_pos;
                auto s = stringValue(value);
                if (!s)
                    return std::nullopt;
                a.value = *s;
                if (!expectSymbol(")", QStringLiteral("after the annotation's value")))
                    return std::nullopt;
            }
            p.m_annotations.append(a);
        }

        const Token &effect = peek();
        if (effect.isIdentifier(QLatin1String("permit"))) {
            p.m_effect = Policy::Effect::Permit;
        } else if (effect.isIdentifier(QLatin1String("forbid"))) {
            p.m_effect = Policy::Effect::Forbid;
        } else {
            fail(effect, QStringLiteral("expected 'permit' or 'forbid', found %1").arg(describe(effect)));
            return std::nullopt;
        }
        ++m_pos;

        if (!expectSymbol("(", QStringLiteral("after '%1'").arg(effect.text.toString())))
            return std::nullopt;
        if (!parseScope(QStringLiteral("principal"), p.m_principal))
            return std::nullopt;
        if (!expectSymbol(",", QStringLiteral("after the principal")))
            return std::nullopt;
        if (!parseScope(QStringLiteral("action"), p.m_action))
            return std::nullopt;
        if (!expectSymbol(",", QStringLiteral("after the action")))
            return std::nullopt;
        if (!parseScope(QStringLiteral("resource"), p.m_resource))
            return std::nullopt;
        if (atSymbol(",") && peek(1).isSymbol(QLatin1String(")")))
            ++m_pos; // a trailing comma after the resource is accepted
        if (!expectSymbol(")", QStringLiteral("to close the scope")))
            return std::nullopt;

        while (atWord("when") || atWord("unless")) {
            Policy::Condition c;
            c.when = atWord("when");
            const Token &keyword = next();
            if (!expectSymbol("{", QStringLiteral("after '%1'").arg(keyword.text.toString())))
                return std::nullopt;
            if (atSymbol("}")) {
                fail(peek(), QStringLiteral("the '%1' condition is empty").arg(keyword.text.toString()));
                return std::nullopt;
            }
            ExprPtr body = parseWholeExpr();
            if (!body)
                return std::nullopt;
            if (!expectSymbol("}", QStringLiteral("to close the '%1' condition").arg(keyword.text.toString())))
                return std::nullopt;
            c.body = std::shared_ptr<const Expr>(std::move(body));
            p.m_conditions.append(c);
        }
        if (!atSymbol(";")) {
            fail(peek(), QStringLiteral("expected 'when', 'unless' or ';' after the policy, found %1")
                                 .arg(describe(peek())));
            return std::nullopt;
        }
        const Token &semicolon = next();
        p.m_sourceText = m_source.mid(first.offset, semicolon.offset + 1 - first.offset);
        return p;
    }

    // `principal`, `principal == E`, `principal in E`, `principal is T [in E]`; for the
    // action also `action in [E, ...]`.
    bool parseScope(const QString &variable, Policy::Scope &scope)
    {
        const Token &v = peek();
        if (!(v.kind == Kind::Identifier && v.text == variable)) {
            fail(v, QStringLiteral("expected '%1' in the policy scope, found %2").arg(variable, describe(v)));
            return false;
        }
        ++m_pos;
        const bool isAction = variable == QLatin1String("action");
        if (atWord("is")) {
            if (isAction) {
                fail(peek(), QStringLiteral("'is' is not allowed on the action in the scope"));
                return false;
            }
            ++m_pos;
            auto type = parseTypeName();
            if (!type)
                return false;
            scope.entityType = *type;
            scope.kind = Policy::Scope::Kind::Is;
            if (atWord("in")) {
                ++m_pos;
                auto e = parseScopeEntity(variable);
                if (!e)
                    return false;
                scope.kind = Policy::Scope::Kind::IsIn;
                scope.entities = {*e};
            }
            return true;
        }
        if (atSymbol("==")) {
            ++m_pos;
            auto e = parseScopeEntity(variable);
            if (!e)
                return false;
            if (isAction && !checkActionType(*e))
                return false;
            scope.kind = Policy::Scope::Kind::Equal;
            scope.entities = {*e};
            return true;
        }
        if (atWord("in")) {
            ++m_pos;
            scope.kind = Policy::Scope::Kind::In;
            if (atSymbol("[")) {
                if (!isAction) {
                    fail(peek(), QStringLiteral("'%1 in [...]' is not allowed in the scope; use a when condition").arg(variable));
                    return false;
                }
                ++m_pos;
                scope.isList = true;
                while (!atSymbol("]")) {
                    auto e = parseScopeEntity(variable);
                    if (!e || !checkActionType(*e))
                        return false;
                    scope.entities.append(*e);
                    if (atSymbol(","))
                        ++m_pos;
                    else if (!atSymbol("]")) {
                        fail(peek(), QStringLiteral("expected ',' or ']' in the action list, found %1").arg(describe(peek())));
                        return false;
                    }
                }
                ++m_pos;
                return true;
            }
            auto e = parseScopeEntity(variable);
            if (!e)
                return false;
            if (isAction && !checkActionType(*e))
                return false;
            scope.entities = {*e};
            return true;
        }
        if (!atSymbol(",") && !atSymbol(")")) {
            fail(peek(), QStringLiteral("expected '==', 'in'%1, ',' or ')' after '%2', found %3")
                                 .arg(isAction ? QString() : QStringLiteral(", 'is'"), variable,
                                      describe(peek())));
            return false;
        }
        scope.kind = Policy::Scope::Kind::Any;
        return true;
    }

    bool checkActionType(const EntityUid &uid)
    {
        if (unqualifiedTypeName(uid.type()) == QLatin1String("Action"))
            return true;
        fail(m_lastEntityToken, QStringLiteral("the action in the scope must be an Action entity, not %1")
                                        .arg(uid.toString()));
        return false;
    }

    std::optional<EntityUid> parseScopeEntity(const QString &variable)
    {
        if (atSymbol("(")) {
            ++m_pos;
            auto e = parseScopeEntity(variable);
            if (!e || !expectSymbol(")", QStringLiteral("to close the parenthesis")))
                return std::nullopt;
            return e;
        }
        if (atSymbol("?")) {
            fail(peek(), QStringLiteral("policy templates (?%1) are not supported").arg(variable), true);
            return std::nullopt;
        }
        m_lastEntityToken = peek();
        auto path = parsePath();
        if (!path)
            return std::nullopt;
        if (!atSymbol("::") || peek(1).kind != Kind::String) {
            fail(peek(), QStringLiteral("expected an entity such as Type::\"id\", found %1").arg(describe(peek())));
            return std::nullopt;
        }
        ++m_pos;
        auto id = stringValue(next());
        if (!id)
            return std::nullopt;
        return EntityUid(path->join(QLatin1String("::")), *id);
    }

    // `A::B::C` (stops before a `::` that is followed by a string).
    std::optional<QStringList> parsePath()
    {
        QStringList parts;
        const Token &first = peek();
        if (first.kind != Kind::Identifier || isReserved(first.text)) {
            fail(first, QStringLiteral("expected a name, found %1").arg(describe(first)));
            return std::nullopt;
        }
        parts.append(next().text.toString());
        while (atSymbol("::") && peek(1).kind == Kind::Identifier) {
            ++m_pos;
            const Token &part = next();
            if (isReserved(part.text)) {
                fail(part, QStringLiteral("'%1' cannot be part of a name").arg(part.text.toString()));
                return std::nullopt;
            }
            parts.append(part.text.toString());
        }
        return parts;
    }

    std::optional<QString> parseTypeName()
    {
        auto path = parsePath();
        if (!path)
            return std::nullopt;
        if (atSymbol("::") && peek(1).kind == Kind::String) {
            fail(peek(), QStringLiteral("expected an entity type after 'is', not an entity"));
            return std::nullopt;
        }
        return path->join(QLatin1String("::"));
    }

    // ---- expressions ----

    struct DepthGuard
    {
        explicit DepthGuard(int &d) : depth(d) { ++depth; }
        ~DepthGuard() { --depth; }
        int &depth;
    };

    bool tooDeep()
    {
        if (m_depth <= kMaxDepth)
            return false;
        fail(peek(), QStringLiteral("the expression is nested too deeply"));
        return true;
    }

    bool chainTooLong(int chain)
    {
        if (m_depth + chain <= kMaxDepth)
            return false;
        fail(peek(), QStringLiteral("the expression is too long; split it into several conditions"));
        return true;
    }

    ExprPtr parseExpr()
    {
        DepthGuard guard(m_depth);
        if (tooDeep())
            return nullptr;
        if (atWord("if")) {
            const Token &start = next();
            ExprPtr c = parseExpr();
            if (!c)
                return nullptr;
            if (!atWord("then"))
                return fail(peek(), QStringLiteral("expected 'then', found %1").arg(describe(peek())));
            ++m_pos;
            ExprPtr t = parseExpr();
            if (!t)
                return nullptr;
            if (!atWord("else"))
                return fail(peek(), QStringLiteral("expected 'else', found %1").arg(describe(peek())));
            ++m_pos;
            ExprPtr f = parseExpr();
            if (!f)
                return nullptr;
            auto e = node(Expr::Kind::If, start);
            e->operands.push_back(std::move(c));
            e->operands.push_back(std::move(t));
            e->operands.push_back(std::move(f));
            return e;
        }
        return parseOr();
    }

    ExprPtr parseOr()
    {
        const Token &start = peek();
        ExprPtr left = parseAnd();
        int chain = 0;
        while (left && atSymbol("||")) {
            if (chainTooLong(++chain))
                return nullptr;
            ++m_pos;
            ExprPtr right = parseAnd();
            if (!right)
                return nullptr;
            auto e = node(Expr::Kind::Or, start);
            e->operands.push_back(std::move(left));
            e->operands.push_back(std::move(right));
            left = std::move(e);
        }
        return left;
    }

    ExprPtr parseAnd()
    {
        const Token &start = peek();
        ExprPtr left = parseRelation();
        int chain = 0;
        while (left && atSymbol("&&")) {
            if (chainTooLong(++chain))
                return nullptr;
            ++m_pos;
            ExprPtr right = parseRelation();
            if (!right)
                return nullptr;
            auto e = node(Expr::Kind::And, start);
            e->operands.push_back(std::move(left));
            e->operands.push_back(std::move(right));
            left = std::move(e);
        }
        return left;
    }

    std::optional<Expr::Kind> relationAt() const
    {
        const Token &t = peek();
        if (t.kind == Kind::Identifier && t.text == QLatin1String("in"))
            return Expr::Kind::In;
        if (t.kind != Kind::Symbol)
            return std::nullopt;
        if (t.text == QLatin1String("=="))
            return Expr::Kind::Equal;
        if (t.text == QLatin1String("!="))
            return Expr::Kind::NotEqual;
        if (t.text == QLatin1String("<"))
            return Expr::Kind::Less;
        if (t.text == QLatin1String("<="))
            return Expr::Kind::LessEqual;
        if (t.text == QLatin1String(">"))
            return Expr::Kind::Greater;
        if (t.text == QLatin1String(">="))
            return Expr::Kind::GreaterEqual;
        return std::nullopt;
    }

    bool atRelationContinuation() const
    {
        return relationAt() || atWord("has") || atWord("like") || atWord("is");
    }

    ExprPtr rejectChain()
    {
        if (atRelationContinuation())
            return fail(peek(), QStringLiteral("%1 cannot follow a comparison; add parentheses")
                                        .arg(describe(peek())));
        return nullptr;
    }

    ExprPtr parseRelation()
    {
        const Token &start = peek();
        ExprPtr left = parseAdd();
        if (!left)
            return nullptr;
        if (const auto kind = relationAt()) {
            ++m_pos;
            ExprPtr right = parseAdd();
            if (!right)
                return nullptr;
            auto e = node(*kind, start);
            e->operands.push_back(std::move(left));
            e->operands.push_back(std::move(right));
            if (atRelationContinuation())
                return rejectChain();
            return e;
        }
        if (atWord("has")) {
            ++m_pos;
            auto e = node(Expr::Kind::Has, start);
            const Token &t = peek();
            if (t.kind == Kind::String) {
                ++m_pos;
                auto s = stringValue(t);
                if (!s)
                    return nullptr;
                e->path = QStringList{*s};
            } else if (t.kind == Kind::Identifier && !isReserved(t.text)) {
                ++m_pos;
                e->path.append(t.text.toString());
                while (atSymbol(".") && peek(1).kind == Kind::Identifier && !isReserved(peek(1).text)) {
                    ++m_pos;
                    e->path.append(next().text.toString());
                }
            } else {
                return fail(t, QStringLiteral("expected an attribute name or string after 'has', found %1")
                                       .arg(describe(t)));
            }
            e->operands.push_back(std::move(left));
            if (atRelationContinuation())
                return rejectChain();
            return e;
        }
        if (atWord("like")) {
            ++m_pos;
            const Token &t = peek();
            if (t.kind != Kind::String)
                return fail(t, QStringLiteral("expected a pattern string after 'like', found %1").arg(describe(t)));
            ++m_pos;
            QString error;
            qsizetype offset = 0;
            auto pieces = Lexer::unescapePattern(t.text, &error, &offset);
            if (!pieces) {
                failInsideString(t, offset, error);
                return nullptr;
            }
            auto e = node(Expr::Kind::Like, start);
            e->pattern = std::make_shared<const LikePattern>(*pieces);
            e->operands.push_back(std::move(left));
            if (atRelationContinuation())
                return rejectChain();
            return e;
        }
        if (atWord("is")) {
            ++m_pos;
            auto type = parseTypeName();
            if (!type)
                return nullptr;
            auto e = node(Expr::Kind::Is, start);
            e->name = *type;
            e->operands.push_back(std::move(left));
            if (atWord("in")) {
                ++m_pos;
                ExprPtr ancestor = parseAdd();
                if (!ancestor)
                    return nullptr;
                e->kind = Expr::Kind::IsIn;
                e->operands.push_back(std::move(ancestor));
            }
            if (atRelationContinuation())
                return rejectChain();
            return e;
        }
        return left;
    }

    ExprPtr parseAdd()
    {
        const Token &start = peek();
        ExprPtr left = parseMult();
        int chain = 0;
        while (left && (atSymbol("+") || atSymbol("-"))) {
            if (chainTooLong(++chain))
                return nullptr;
            const bool plus = next().text == QLatin1String("+");
            ExprPtr right = parseMult();
            if (!right)
                return nullptr;
            auto e = node(plus ? Expr::Kind::Add : Expr::Kind::Subtract, start);
            e->operands.push_back(std::move(left));
            e->operands.push_back(std::move(right));
            left = std::move(e);
        }
        return left;
    }

    ExprPtr parseMult()
    {
        const Token &start = peek();
        ExprPtr left = parseUnary();
        int chain = 0;
        while (left && (atSymbol("*") || atSymbol("/") || atSymbol("%"))) {
            if (chainTooLong(++chain))
                return nullptr;
            if (!atSymbol("*"))
                return fail(peek(), QStringLiteral("Cedar has no '%1' operator").arg(peek().text.toString()));
            ++m_pos;
            ExprPtr right = parseUnary();
            if (!right)
                return nullptr;
            auto e = node(Expr::Kind::Multiply, start);
            e->operands.push_back(std::move(left));
            e->operands.push_back(std::move(right));
            left = std::move(e);
        }
        return left;
    }

    ExprPtr parseUnary()
    {
        DepthGuard guard(m_depth);
        if (tooDeep())
            return nullptr;
        const Token &start = peek();
        if (!atSymbol("!") && !atSymbol("-"))
            return parseMember();
        const bool bang = atSymbol("!");
        int count = 0;
        while (atSymbol("!") || atSymbol("-")) {
            if (atSymbol("!") != bang)
                return fail(peek(), QStringLiteral("'!' and '-' cannot be mixed without parentheses"));
            ++count;
            ++m_pos;
        }
        if (count > 4)
            return fail(start, QStringLiteral("too many '%1' in a row (at most 4)").arg(bang ? QLatin1Char('!') : QLatin1Char('-')));

        ExprPtr operand;
        int remaining = count;
        // `-9223372036854775808` is a literal, not the negation of an out-of-range one.
        if (!bang && peek().kind == Kind::Integer && !peek(1).isSymbol(QLatin1String("."))
            && !peek(1).isSymbol(QLatin1String("["))) {
            const Token &t = next();
            bool ok = false;
            const quint64 magnitude = t.text.toULongLong(&ok);
            const quint64 limit = quint64(std::numeric_limits<qint64>::max()) + 1;
            if (!ok || magnitude > limit)
                return fail(t, QStringLiteral("integer literal %1 does not fit in 64 bits").arg(t.text.toString()));
            const qint64 v = magnitude == limit ? std::numeric_limits<qint64>::min() : -qint64(magnitude);
            operand = literal(Value::fromLong(v), start);
            --remaining;
        } else {
            operand = parseMember();
            if (!operand)
                return nullptr;
        }
        for (int i = 0; i < remaining; ++i) {
            auto e = node(bang ? Expr::Kind::Not : Expr::Kind::Negate, start);
            e->operands.push_back(std::move(operand));
            operand = std::move(e);
        }
        return operand;
    }

    ExprPtr parseMember()
    {
        const Token &start = peek();
        ExprPtr e = parsePrimary();
        while (e) {
            if (atSymbol(".")) {
                ++m_pos;
                const Token &name = peek();
                if (name.kind != Kind::Identifier)
                    return fail(name, QStringLiteral("expected an attribute or method name after '.', found %1").arg(describe(name)));
                ++m_pos;
                if (atSymbol("(")) {
                    e = parseMethod(std::move(e), name, start);
                } else {
                    auto access = node(Expr::Kind::GetAttribute, start);
                    access->name = name.text.toString();
                    access->operands.push_back(std::move(e));
                    e = std::move(access);
                }
            } else if (atSymbol("[")) {
                ++m_pos;
                const Token &key = peek();
                if (key.kind != Kind::String)
                    return fail(key, QStringLiteral("expected a string inside [ ], found %1").arg(describe(key)));
                ++m_pos;
                auto s = stringValue(key);
                if (!s || !expectSymbol("]", QStringLiteral("to close the attribute access")))
                    return nullptr;
                auto access = node(Expr::Kind::GetAttribute, start);
                access->name = *s;
                access->operands.push_back(std::move(e));
                e = std::move(access);
            } else {
                break;
            }
        }
        return e;
    }

    bool parseArguments(std::vector<ExprPtr> &args)
    {
        if (!expectSymbol("(", QStringLiteral("to start the arguments")))
            return false;
        while (!atSymbol(")")) {
            ExprPtr a = parseExpr();
            if (!a)
                return false;
            args.push_back(std::move(a));
            if (atSymbol(","))
                ++m_pos;
            else if (!atSymbol(")")) {
                fail(peek(), QStringLiteral("expected ',' or ')' in the arguments, found %1").arg(describe(peek())));
                return false;
            }
        }
        ++m_pos;
        return true;
    }

    ExprPtr parseMethod(ExprPtr receiver, const Token &name, const Token &start)
    {
        const std::optional<MethodInfo> method = methodNamed(name.text);
        if (!method) {
            if (Expr::functionNamed(name.text))
                return fail(name, QStringLiteral("%1 is a function, not a method: write %1(...)").arg(name.text.toString()));
            return fail(name, QStringLiteral("unknown method %1").arg(name.text.toString()));
        }
        std::vector<ExprPtr> args;
        if (!parseArguments(args))
            return nullptr;
        // Cedar checks the arity of its builtin methods when parsing, but that of extension
        // functions only when calling them: a wrong count there makes the policy error.
        if (method->kind != Expr::Kind::Call && int(args.size()) != method->arguments)
            return fail(name, QStringLiteral("%1 takes %2 argument%3, not %4")
                                      .arg(name.text.toString())
                                      .arg(method->arguments)
                                      .arg(method->arguments == 1 ? QString() : QStringLiteral("s"))
                                      .arg(args.size()));
        auto e = node(method->kind, start);
        e->function = method->function;
        e->operands.push_back(std::move(receiver));
        for (auto &a : args)
            e->operands.push_back(std::move(a));
        if (e->kind == Expr::Kind::Call)
            return foldCall(std::move(e));
        return e;
    }

    // A call whose arguments are all literals is computed now, when it succeeds: policies
    // such as `context.ip.isInRange(ip("10.0.0.0/8"))` then do no parsing per request. A
    // call that fails stays, so that it errors at evaluation as Cedar requires.
    ExprPtr foldCall(ExprPtr e)
    {
        std::vector<Value> values;
        for (const auto &o : e->operands) {
            if (o->kind != Expr::Kind::Literal)
                return e;
            values.push_back(o->value);
        }
        Value result;
        QString error;
        if (!Evaluator::applyFunction(e->function, values, result, error))
            return e;
        auto folded = node(Expr::Kind::Literal, peek());
        folded->line = e->line;
        folded->column = e->column;
        folded->value = result;
        return folded;
    }

    ExprPtr parsePrimary()
    {
        const Token &t = peek();
        switch (t.kind) {
        case Kind::Integer: {
            ++m_pos;
            bool ok = false;
            const qint64 v = t.text.toLongLong(&ok);
            if (!ok)
                return fail(t, QStringLiteral("integer literal %1 does not fit in 64 bits").arg(t.text.toString()));
            return literal(Value::fromLong(v), t);
        }
        case Kind::String: {
            ++m_pos;
            auto s = stringValue(t);
            if (!s)
                return nullptr;
            return literal(Value::fromString(*s), t);
        }
        case Kind::Identifier:
            return parseName();
        case Kind::Symbol:
            break;
        case Kind::End:
        case Kind::Invalid:
            return fail(t, QStringLiteral("expected an expression, found %1").arg(describe(t)));
        }

        if (atSymbol("(")) {
            ++m_pos;
            ExprPtr e = parseExpr();
            if (!e || !expectSymbol(")", QStringLiteral("to close the parenthesis")))
                return nullptr;
            return e;
        }
        if (atSymbol("[")) {
            ++m_pos;
            auto e = node(Expr::Kind::SetLiteral, t);
            bool constant = true;
            while (!atSymbol("]")) {
                ExprPtr element = parseExpr();
                if (!element)
                    return nullptr;
                constant = constant && element->kind == Expr::Kind::Literal;
                e->operands.push_back(std::move(element));
                if (atSymbol(","))
                    ++m_pos;
                else if (!atSymbol("]"))
                    return fail(peek(), QStringLiteral("expected ',' or ']' in the set, found %1").arg(describe(peek())));
            }
            ++m_pos;
            if (constant) {
                std::vector<Value> values;
                for (const auto &o : e->operands)
                    values.push_back(o->value);
                return literal(Value::fromSet(std::move(values)), t);
            }
            return e;
        }
        if (atSymbol("{")) {
            ++m_pos;
            auto e = node(Expr::Kind::RecordLiteral, t);
            bool constant = true;
            QSet<QString> seen;
            while (!atSymbol("}")) {
                const Token &key = peek();
                QString name;
                if (key.kind == Kind::Identifier) {
                    name = key.text.toString();
                } else if (key.kind == Kind::String) {
                    auto s = stringValue(key);
                    if (!s)
                        return nullptr;
                    name = *s;
                } else {
                    return fail(key, QStringLiteral("expected an attribute name in the record, found %1").arg(describe(key)));
                }
                ++m_pos;
                if (seen.contains(name))
                    return fail(key, QStringLiteral("duplicate attribute %1 in the record").arg(quotedCedarString(name)));
                seen.insert(name);
                if (!expectSymbol(":", QStringLiteral("after the attribute name")))
                    return nullptr;
                ExprPtr value = parseExpr();
                if (!value)
                    return nullptr;
                constant = constant && value->kind == Expr::Kind::Literal;
                e->keys.append(name);
                e->operands.push_back(std::move(value));
                if (atSymbol(","))
                    ++m_pos;
                else if (!atSymbol("}"))
                    return fail(peek(), QStringLiteral("expected ',' or '}' in the record, found %1").arg(describe(peek())));
            }
            ++m_pos;
            if (constant) {
                std::vector<Value::Field> fields;
                for (size_t i = 0; i < e->operands.size(); ++i)
                    fields.emplace_back(e->keys.at(qsizetype(i)), e->operands[i]->value);
                return literal(Value::fromRecord(std::move(fields)), t);
            }
            return e;
        }
        if (atSymbol("?"))
            return fail(t, QStringLiteral("template slots (?principal, ?resource) are not supported"), true);
        return fail(t, QStringLiteral("expected an expression, found %1").arg(describe(t)));
    }

    // true / false, a variable, an entity `A::B::"id"` or a function call `ip("...")`.
    ExprPtr parseName()
    {
        const Token &t = peek();
        if (t.text == QLatin1String("true") || t.text == QLatin1String("false")) {
            ++m_pos;
            return literal(Value::fromBool(t.text == QLatin1String("true")), t);
        }
        if (const auto var = variableOf(t.text); var && !peek(1).isSymbol(QLatin1String("::"))) {
            ++m_pos;
            auto e = node(Expr::Kind::Variable, t);
            e->variable = *var;
            return e;
        }
        if (isReserved(t.text))
            return fail(t, QStringLiteral("unexpected '%1'").arg(t.text.toString()));
        auto path = parsePath();
        if (!path)
            return nullptr;
        if (atSymbol("::") && peek(1).kind == Kind::String) {
            ++m_pos;
            const Token &idToken = next();
            auto id = stringValue(idToken);
            if (!id)
                return nullptr;
            return literal(Value::fromEntity(EntityUid(path->join(QLatin1String("::")), *id)), t);
        }
        const QString name = path->join(QLatin1String("::"));
        if (atSymbol("(")) {
            if (const auto f = Expr::functionNamed(name); f && !Expr::isMethod(*f)) {
                std::vector<ExprPtr> args;
                if (!parseArguments(args))
                    return nullptr;
                auto e = node(Expr::Kind::Call, t);
                e->function = *f;
                for (auto &a : args)
                    e->operands.push_back(std::move(a));
                return foldCall(std::move(e));
            }
            if (methodNamed(name))
                return fail(t, QStringLiteral("%1 is a method: write value.%1(...)").arg(name));
            return fail(t, QStringLiteral("unknown function %1").arg(name));
        }
        if (atSymbol("::"))
            return fail(peek(), QStringLiteral("expected a name or a string after '::', found %1").arg(describe(peek(1))));
        return fail(t, QStringLiteral("unexpected name %1 (variables are principal, action, resource and context)").arg(name));
    }

    QList<Token> m_tokens;
    const QString &m_source;
    QString m_file;
    qsizetype m_pos = 0;
    bool m_failed = false;
    Diagnostic m_error;
    Token m_lastEntityToken;
    int m_depth = 0;
};

PolicyParser::Parsed PolicyParser::parse(const QString &text, const QString &fileName)
{
    PolicyParserImpl parser(text, fileName);
    return parser.parsePolicies();
}

ExprPtr PolicyParser::parseExpression(const QString &text, Diagnostics *errors)
{
    PolicyParserImpl parser(text, QString());
    return parser.parseStandaloneExpression(errors);
}

} // namespace Spool::Cedar
