//! CSV export of reports (RFC 4180), pure: a header row, one row per item, a totals row.
//! Fields holding a comma, a double quote, CR or LF are quoted with inner quotes doubled, so
//! any memo or description comes back exactly as written (`parse` is the inverse). Lines
//! end with CRLF. Money is a plain decimal string with two places ("-600.00"), counts are
//! integers, and the totals row puts "total" in the first column.
//!
//! Spreadsheets run a text cell that starts with `=`, `+`, `-` or `@` as a formula, and the
//! text in reports comes from other people (a client writes a milestone's description, the
//! freelancer downloads the report): such a text cell is prefixed with `'` (OWASP's advice),
//! which is the one change the export makes to text. Numbers are never prefixed.

use crate::domain::fees::round_cents;
use rust_decimal::Decimal;

/// One cell of a report table.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    Text(String),
    Money(Decimal),
    Count(u64),
    Empty,
}

impl Cell {
    pub fn text(value: impl Into<String>) -> Self {
        Cell::Text(value.into())
    }

    pub fn opt<T: ToString>(value: Option<&T>) -> Self {
        value.map_or(Cell::Empty, |v| Cell::Text(v.to_string()))
    }

    fn render(&self) -> String {
        match self {
            Cell::Text(text) => defuse_formula(text),
            Cell::Money(amount) => round_cents(*amount).to_string(),
            Cell::Count(n) => n.to_string(),
            Cell::Empty => String::new(),
        }
    }
}

/// A report as rows and columns: what `render` writes.
#[derive(Clone, Debug, PartialEq)]
pub struct Table {
    pub header: Vec<&'static str>,
    pub rows: Vec<Vec<Cell>>,
    /// The totals row; its first cell is replaced by "total".
    pub totals: Vec<Cell>,
}

/// What every report can be turned into for the CSV export.
pub trait Tabular {
    fn table(&self) -> Table;
}

pub const TOTAL_LABEL: &str = "total";

fn defuse_formula(text: &str) -> String {
    match text.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{text}"),
        _ => text.to_string(),
    }
}

fn quote(field: &str) -> String {
    if field.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_string()
    }
}

fn line(fields: impl Iterator<Item = String>, out: &mut String) {
    let fields: Vec<String> = fields.map(|f| quote(&f)).collect();
    out.push_str(&fields.join(","));
    out.push_str("\r\n");
}

pub fn render(table: &Table) -> String {
    let mut out = String::new();
    line(table.header.iter().map(|h| h.to_string()), &mut out);
    for row in &table.rows {
        line(row.iter().map(Cell::render), &mut out);
    }
    let totals = table.totals.iter().enumerate().map(|(i, cell)| {
        if i == 0 {
            TOTAL_LABEL.to_string()
        } else {
            cell.render()
        }
    });
    line(totals, &mut out);
    out
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CsvError {
    #[error("a quoted field is not closed")]
    UnclosedQuote,
    #[error("a quote inside an unquoted field, or text after a closing quote")]
    StrayQuote,
}

/// Reads RFC 4180 text back into records (the inverse of `render` for every field it wrote):
/// importers and tests use it to check an export.
pub fn parse(text: &str) -> Result<Vec<Vec<String>>, CsvError> {
    let mut records = Vec::new();
    let mut record = Vec::new();
    let mut field = String::new();
    let mut chars = text.chars().peekable();
    let mut quoted = false;
    let mut after_quote = false;
    let mut started = false;
    while let Some(c) = chars.next() {
        started = true;
        if quoted {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => {
                    quoted = false;
                    after_quote = true;
                }
                other => field.push(other),
            }
            continue;
        }
        match c {
            '"' if field.is_empty() && !after_quote => quoted = true,
            '"' => return Err(CsvError::StrayQuote),
            ',' => {
                record.push(std::mem::take(&mut field));
                after_quote = false;
            }
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' => {
                record.push(std::mem::take(&mut field));
                records.push(std::mem::take(&mut record));
                after_quote = false;
                started = false;
            }
            _ if after_quote => return Err(CsvError::StrayQuote),
            other => field.push(other),
        }
    }
    if quoted {
        return Err(CsvError::UnclosedQuote);
    }
    if started {
        record.push(field);
        records.push(record);
    }
    Ok(records)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn table(texts: &[&str]) -> Table {
        Table {
            header: vec!["what", "amount"],
            rows: texts
                .iter()
                .map(|t| vec![Cell::text(*t), Cell::Money(Decimal::new(-60000, 2))])
                .collect(),
            totals: vec![Cell::Empty, Cell::Money(Decimal::new(-60000, 2))],
        }
    }

    #[test]
    fn fields_with_separators_quotes_and_newlines_are_quoted_and_round_trip() {
        let memo = "Logo, \"final\" cut\r\nand icons\nline three";
        let rendered = render(&table(&[memo, "plain"]));
        assert_eq!(
            rendered,
            "what,amount\r\n\"Logo, \"\"final\"\" cut\r\nand icons\nline three\",-600.00\r\n\
             plain,-600.00\r\ntotal,-600.00\r\n"
        );
        let records = parse(&rendered).unwrap();
        assert_eq!(records.len(), 4);
        assert_eq!(records[1], vec![memo.to_string(), "-600.00".to_string()]);
        assert_eq!(records[3], vec!["total".to_string(), "-600.00".to_string()]);
    }

    #[test]
    fn text_that_a_spreadsheet_would_run_is_defused_but_numbers_are_not() {
        let rendered = render(&table(&["=HYPERLINK(\"http://evil\")", "@SUM(A1)", "-1+2"]));
        let records = parse(&rendered).unwrap();
        assert_eq!(records[1][0], "'=HYPERLINK(\"http://evil\")");
        assert_eq!(records[2][0], "'@SUM(A1)");
        assert_eq!(records[3][0], "'-1+2");
        assert_eq!(records[1][1], "-600.00", "a negative amount stays a number");
    }

    #[test]
    fn money_is_written_with_two_places_and_counts_as_integers() {
        let t = Table {
            header: vec!["a", "b", "c"],
            rows: vec![vec![
                Cell::Money(Decimal::new(5, 0)),
                Cell::Count(42),
                Cell::Empty,
            ]],
            totals: vec![Cell::Empty, Cell::Count(42), Cell::Empty],
        };
        assert_eq!(render(&t), "a,b,c\r\n5.00,42,\r\ntotal,42,\r\n");
    }

    #[test]
    fn malformed_text_is_an_error_not_a_guess() {
        assert_eq!(parse("\"open"), Err(CsvError::UnclosedQuote));
        assert_eq!(parse("a\"b,c"), Err(CsvError::StrayQuote));
        assert_eq!(parse("\"a\"b,c"), Err(CsvError::StrayQuote));
        assert_eq!(parse(""), Ok(vec![]));
        assert_eq!(
            parse("a,,\"\"\r\n"),
            Ok(vec![vec!["a".into(), "".into(), "".into()]])
        );
    }

    proptest! {
        #[test]
        fn any_text_that_is_not_a_formula_round_trips(
            texts in proptest::collection::vec("[^=+@\\t\\r-][ -~\\r\\n\"',é]{0,30}|", 1..6)
        ) {
            let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
            let records = parse(&render(&table(&refs))).unwrap();
            prop_assert_eq!(records.len(), texts.len() + 2);
            for (i, text) in texts.iter().enumerate() {
                prop_assert_eq!(&records[i + 1][0], text);
            }
        }
    }
}
