//! The find-work keyword language (PRODUCT §3.3): terms, `"quoted phrases"`, `AND`, `OR`,
//! `NOT` (or a leading `-`), parentheses, and implicit AND between neighbours. Precedence is
//! NOT > AND > OR, so `a OR b c` means `a OR (b AND c)`.
//!
//! Operators are upper case only: `rust and go` searches for three words, which is what
//! someone who did not mean an operator expects. Terms are matched as tokens: lower-cased runs
//! of letters and digits, the same tokenizer the search index uses (`tokens`). A term that
//! splits into several tokens (`e-commerce`, `node.js`) is a phrase of them.
//!
//! Parsing is total: any input gives a query or a `QueryError` with the character position,
//! never a panic. The evaluator (`Query::matches`) decides a job in memory, for saved-search
//! alerts, with the same semantics as the index.

use std::fmt;

/// Longest accepted query, in characters.
pub const MAX_QUERY_CHARS: usize = 500;
/// Most terms and phrases in one query; each becomes index lookups.
pub const MAX_QUERY_TERMS: usize = 20;
/// Deepest nesting of parentheses and NOTs.
pub const MAX_QUERY_DEPTH: usize = 8;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Query {
    /// One token, or (several tokens) a phrase: the tokens in this order, adjacent.
    Text(Vec<String>),
    And(Vec<Query>),
    Or(Vec<Query>),
    Not(Box<Query>),
}

/// Where and why a query is malformed. `position` counts characters from 0.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message} at position {position}")]
pub struct QueryError {
    pub position: usize,
    pub message: String,
}

impl QueryError {
    fn new(position: usize, message: impl Into<String>) -> Self {
        Self {
            position,
            message: message.into(),
        }
    }
}

/// The tokens of a text, as the search index cuts them: maximal runs of alphanumeric
/// characters, lower-cased (tantivy's `SimpleTokenizer` + `LowerCaser`).
pub fn tokens(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|t| !t.is_empty())
        // Character by character, like tantivy's LowerCaser (no final-sigma rule), so the
        // evaluator and the index always agree.
        .map(|t| t.chars().flat_map(char::to_lowercase).collect())
        .collect()
}

#[derive(Clone, Debug, PartialEq)]
enum Lexeme {
    Word(String),
    Phrase(String),
    And,
    Or,
    Not,
    Open,
    Close,
}

fn lex(input: &str) -> Result<Vec<(usize, Lexeme)>, QueryError> {
    let chars: Vec<char> = input.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c == '(' {
            out.push((i, Lexeme::Open));
            i += 1;
        } else if c == ')' {
            out.push((i, Lexeme::Close));
            i += 1;
        } else if c == '"' {
            let start = i;
            let end = chars[i + 1..]
                .iter()
                .position(|&c| c == '"')
                .map(|offset| i + 1 + offset)
                .ok_or_else(|| QueryError::new(start, "the quote is never closed"))?;
            out.push((start, Lexeme::Phrase(chars[i + 1..end].iter().collect())));
            i = end + 1;
        } else if c == '-' && chars.get(i + 1).is_some_and(|n| !n.is_whitespace()) {
            // `-term`, `-"phrase"`, `-(group)`: a NOT bound to what follows.
            out.push((i, Lexeme::Not));
            i += 1;
        } else {
            let start = i;
            while i < chars.len()
                && !chars[i].is_whitespace()
                && !matches!(chars[i], '(' | ')' | '"')
            {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            let lexeme = match word.as_str() {
                "AND" => Lexeme::And,
                "OR" => Lexeme::Or,
                "NOT" => Lexeme::Not,
                _ => Lexeme::Word(word),
            };
            out.push((start, lexeme));
        }
    }
    Ok(out)
}

struct Parser {
    lexemes: Vec<(usize, Lexeme)>,
    next: usize,
    /// Position just past the input, for errors at the end.
    end: usize,
    terms: usize,
}

impl Parser {
    fn peek(&self) -> Option<&(usize, Lexeme)> {
        self.lexemes.get(self.next)
    }

    fn position(&self) -> usize {
        self.peek().map(|(p, _)| *p).unwrap_or(self.end)
    }

    fn or(&mut self, depth: usize) -> Result<Query, QueryError> {
        let mut parts = vec![self.and(depth)?];
        while let Some((at, Lexeme::Or)) = self.peek().cloned() {
            self.next += 1;
            parts.push(self.operand_after(at, "OR", depth, Self::and)?);
        }
        Ok(flatten(parts, false))
    }

    fn and(&mut self, depth: usize) -> Result<Query, QueryError> {
        let mut parts = vec![self.unary(depth)?];
        loop {
            match self.peek().cloned() {
                Some((at, Lexeme::And)) => {
                    self.next += 1;
                    parts.push(self.operand_after(at, "AND", depth, Self::unary)?);
                }
                // Implicit AND: the next thing starts another operand.
                Some((_, Lexeme::Word(_) | Lexeme::Phrase(_) | Lexeme::Not | Lexeme::Open)) => {
                    parts.push(self.unary(depth)?);
                }
                _ => return Ok(flatten(parts, true)),
            }
        }
    }

    /// The operand of a binary operator at `at`; a missing one is a dangling operator.
    fn operand_after(
        &mut self,
        at: usize,
        operator: &str,
        depth: usize,
        parse: fn(&mut Self, usize) -> Result<Query, QueryError>,
    ) -> Result<Query, QueryError> {
        match self.peek() {
            None | Some((_, Lexeme::Close | Lexeme::And | Lexeme::Or)) => Err(QueryError::new(
                at,
                format!("{operator} needs a term on both sides"),
            )),
            Some(_) => parse(self, depth),
        }
    }

    fn unary(&mut self, depth: usize) -> Result<Query, QueryError> {
        let position = self.position();
        let Some((_, lexeme)) = self.peek().cloned() else {
            return Err(QueryError::new(position, "a term is missing"));
        };
        match lexeme {
            Lexeme::Not => {
                self.next += 1;
                if depth + 1 > MAX_QUERY_DEPTH {
                    return Err(QueryError::new(position, "the query is nested too deeply"));
                }
                match self.peek() {
                    None | Some((_, Lexeme::Close | Lexeme::And | Lexeme::Or)) => {
                        Err(QueryError::new(position, "NOT needs a term after it"))
                    }
                    Some(_) => Ok(Query::Not(Box::new(self.unary(depth + 1)?))),
                }
            }
            Lexeme::Open => {
                self.next += 1;
                if depth + 1 > MAX_QUERY_DEPTH {
                    return Err(QueryError::new(position, "the query is nested too deeply"));
                }
                if let Some((_, Lexeme::Close)) = self.peek() {
                    return Err(QueryError::new(position, "the parentheses are empty"));
                }
                let inner = self.or(depth + 1)?;
                match self.peek() {
                    Some((_, Lexeme::Close)) => {
                        self.next += 1;
                        Ok(inner)
                    }
                    _ => Err(QueryError::new(position, "the parenthesis is never closed")),
                }
            }
            Lexeme::Close => Err(QueryError::new(position, "this parenthesis closes nothing")),
            Lexeme::And => Err(QueryError::new(position, "AND needs a term on both sides")),
            Lexeme::Or => Err(QueryError::new(position, "OR needs a term on both sides")),
            Lexeme::Word(text) | Lexeme::Phrase(text) => {
                self.next += 1;
                let found = tokens(&text);
                if found.is_empty() {
                    return Err(QueryError::new(
                        position,
                        "the term has no letters or digits to search for",
                    ));
                }
                self.terms += 1;
                if self.terms > MAX_QUERY_TERMS {
                    return Err(QueryError::new(
                        position,
                        format!("a query has at most {MAX_QUERY_TERMS} terms"),
                    ));
                }
                Ok(Query::Text(found))
            }
        }
    }
}

/// One operand stays itself; nested operators of the same kind merge (`a AND (b AND c)`).
fn flatten(parts: Vec<Query>, and: bool) -> Query {
    if parts.len() == 1 {
        return parts.into_iter().next().expect("one part");
    }
    let mut flat = Vec::with_capacity(parts.len());
    for part in parts {
        match part {
            Query::And(inner) if and => flat.extend(inner),
            Query::Or(inner) if !and => flat.extend(inner),
            other => flat.push(other),
        }
    }
    if and {
        Query::And(flat)
    } else {
        Query::Or(flat)
    }
}

impl Query {
    /// Parses a keyword query. Blank input is an error: callers treat an absent or blank `q`
    /// as "no keyword condition" before calling this.
    pub fn parse(input: &str) -> Result<Query, QueryError> {
        let length = input.chars().count();
        if length > MAX_QUERY_CHARS {
            return Err(QueryError::new(
                MAX_QUERY_CHARS,
                format!("the query is longer than {MAX_QUERY_CHARS} characters"),
            ));
        }
        let lexemes = lex(input)?;
        if lexemes.is_empty() {
            return Err(QueryError::new(0, "the query is empty"));
        }
        let mut parser = Parser {
            lexemes,
            next: 0,
            end: length,
            terms: 0,
        };
        let query = parser.or(0)?;
        match parser.peek() {
            None => Ok(query),
            // The only thing `or` stops at without consuming is a `)` that opened nothing.
            Some((at, _)) => Err(QueryError::new(*at, "this parenthesis closes nothing")),
        }
    }

    /// Whether a document with these fields matches. Each field is a list of values (a job's
    /// skills are several values); a phrase matches inside one value, as in the index.
    pub fn matches(&self, fields: &[&[Vec<String>]]) -> bool {
        match self {
            Query::Text(words) => fields.iter().flat_map(|values| values.iter()).any(|value| {
                value
                    .windows(words.len())
                    .any(|window| window == words.as_slice())
            }),
            Query::And(parts) => parts.iter().all(|q| q.matches(fields)),
            Query::Or(parts) => parts.iter().any(|q| q.matches(fields)),
            Query::Not(inner) => !inner.matches(fields),
        }
    }

    /// Every term and phrase, in order (the index looks each one up).
    pub fn texts(&self) -> Vec<&[String]> {
        let mut out = Vec::new();
        self.collect_texts(&mut out);
        out
    }

    fn collect_texts<'a>(&'a self, out: &mut Vec<&'a [String]>) {
        match self {
            Query::Text(words) => out.push(words),
            Query::And(parts) | Query::Or(parts) => parts.iter().for_each(|p| p.collect_texts(out)),
            Query::Not(inner) => inner.collect_texts(out),
        }
    }
}

/// The canonical form: fully parenthesised, so it parses back to the same query.
impl fmt::Display for Query {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let join = |f: &mut fmt::Formatter<'_>, parts: &[Query], op: &str| {
            write!(f, "(")?;
            for (i, part) in parts.iter().enumerate() {
                if i > 0 {
                    write!(f, " {op} ")?;
                }
                write!(f, "{part}")?;
            }
            write!(f, ")")
        };
        match self {
            Query::Text(words) if words.len() == 1 => write!(f, "{}", words[0]),
            Query::Text(words) => write!(f, "\"{}\"", words.join(" ")),
            Query::And(parts) => join(f, parts, "AND"),
            Query::Or(parts) => join(f, parts, "OR"),
            Query::Not(inner) => write!(f, "NOT {inner}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(word: &str) -> Query {
        Query::Text(tokens(word))
    }

    fn parse(input: &str) -> Query {
        Query::parse(input).unwrap_or_else(|e| panic!("{input:?}: {e}"))
    }

    fn error(input: &str) -> QueryError {
        Query::parse(input).expect_err(input)
    }

    #[test]
    fn precedence_is_not_then_and_then_or() {
        assert_eq!(
            parse("rust OR go python"),
            Query::Or(vec![t("rust"), Query::And(vec![t("go"), t("python")])])
        );
        assert_eq!(
            parse("rust AND NOT go OR python"),
            Query::Or(vec![
                Query::And(vec![t("rust"), Query::Not(Box::new(t("go")))]),
                t("python")
            ])
        );
        assert_eq!(
            parse("(rust OR go) -php"),
            Query::And(vec![
                Query::Or(vec![t("rust"), t("go")]),
                Query::Not(Box::new(t("php")))
            ])
        );
        assert_eq!(
            parse("a AND (b AND c)"),
            Query::And(vec![t("a"), t("b"), t("c")])
        );
        assert_eq!(
            parse("NOT NOT a"),
            Query::Not(Box::new(Query::Not(Box::new(t("a")))))
        );
    }

    #[test]
    fn phrases_terms_and_tokens() {
        assert_eq!(
            parse("\"REST  API\" e-commerce"),
            Query::And(vec![
                Query::Text(vec!["rest".into(), "api".into()]),
                Query::Text(vec!["e".into(), "commerce".into()])
            ])
        );
        assert_eq!(
            parse("-\"web app\""),
            Query::Not(Box::new(Query::Text(tokens("web app"))))
        );
        // Lower-case operators are words.
        assert_eq!(
            parse("rust and go"),
            Query::And(vec![t("rust"), t("and"), t("go")])
        );
        assert_eq!(parse("Café"), Query::Text(vec!["café".into()]));
        assert_eq!(tokens("Node.js, C++ & Go!"), ["node", "js", "c", "go"]);
    }

    #[test]
    fn malformed_queries_say_where() {
        let cases: &[(&str, usize, &str)] = &[
            ("(rust OR go", 0, "never closed"),
            ("rust)", 4, "closes nothing"),
            ("rust \"web app", 5, "quote"),
            ("rust AND", 5, "AND needs"),
            ("OR rust", 0, "OR needs"),
            ("rust AND OR go", 5, "AND needs"),
            ("rust ()", 5, "empty"),
            ("rust NOT", 5, "NOT needs"),
            ("a - b", 2, "no letters"),
            ("\"\"", 0, "no letters"),
            ("   ", 0, "empty"),
            ("((a) OR (b)", 0, "never closed"),
        ];
        for (input, position, message) in cases {
            let err = error(input);
            assert_eq!(err.position, *position, "{input:?}: {err}");
            assert!(err.message.contains(message), "{input:?}: {err}");
        }
        let long = "a ".repeat(MAX_QUERY_CHARS);
        assert_eq!(error(&long).position, MAX_QUERY_CHARS);
        let deep = format!(
            "{}a{}",
            "(".repeat(MAX_QUERY_DEPTH + 1),
            ")".repeat(MAX_QUERY_DEPTH + 1)
        );
        assert!(error(&deep).message.contains("deeply"));
        let many = (0..=MAX_QUERY_TERMS)
            .map(|i| format!("w{i}"))
            .collect::<Vec<_>>()
            .join(" ");
        assert!(error(&many).message.contains("at most"));
    }

    #[test]
    fn display_parses_back_to_the_same_query() {
        for input in ["a OR b c", "-(a OR \"b c\") d", "NOT a AND (b OR NOT c)"] {
            let query = parse(input);
            assert_eq!(parse(&query.to_string()), query, "{input}");
        }
    }

    #[test]
    fn evaluation_matches_terms_phrases_and_operators() {
        let title = vec![tokens("Senior Rust engineer for a REST API")];
        let skills = vec![tokens("rust"), tokens("aws-lambda")];
        let fields: [&[Vec<String>]; 2] = [&title, &skills];
        let yes = |q: &str| parse(q).matches(&fields);
        assert!(yes("rust"));
        assert!(yes("\"rest api\""));
        assert!(!yes("\"api rest\""));
        assert!(yes("aws-lambda") && yes("\"aws lambda\""));
        // A phrase does not run across two values of a field.
        assert!(!yes("\"rust aws\""));
        assert!(yes("python OR rust") && !yes("python OR go"));
        assert!(yes("rust -python") && !yes("rust -api"));
        assert!(yes("(go OR rust) AND NOT (php OR java)"));
        assert!(!yes("NOT rust"));
    }

    /// Property: whatever the input, parsing returns (never panics), errors point inside the
    /// input, and what parses prints to something that parses to the same query.
    #[test]
    fn parser_is_total_on_random_input() {
        use rand::{Rng, SeedableRng};
        let alphabet: &[&str] = &[
            "rust", "go", "AND", "OR", "NOT", "(", ")", "\"", "-", " ", "  ", "é", "web-app", "*",
            "\t", "a\"b", "((", "))", "ÿ", "😀",
        ];
        let mut rng = rand::rngs::StdRng::seed_from_u64(0x5eed);
        for _ in 0..20_000 {
            let len = rng.gen_range(0..14);
            let input: String = (0..len)
                .map(|_| alphabet[rng.gen_range(0..alphabet.len())])
                .collect();
            match Query::parse(&input) {
                Ok(query) => match Query::parse(&query.to_string()) {
                    Ok(again) => assert_eq!(again, query, "{input:?}"),
                    // Printing parenthesises every group, which may nest past the limit.
                    Err(err) => assert!(err.message.contains("deeply"), "{input:?}: {err}"),
                },
                Err(err) => assert!(err.position <= input.chars().count(), "{input:?}: {err}"),
            }
        }
    }
}
