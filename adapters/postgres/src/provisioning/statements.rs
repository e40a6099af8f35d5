//! A migration's text split into its statements, so a schema Citus distributes can take them one
//! at a time (control plane V7: Citus sends some statements to the workers as the whole string
//! they came in, which the workers refuse when it holds several).

/// The statements of `sql`, each without its `;` and trimmed, comments between them dropped.
/// Knows what may hold a `;` that ends nothing: quoted strings and identifiers, dollar-quoted
/// bodies (`$$ ... $$`, `$tag$ ... $tag$`), and comments.
pub fn statements(sql: &str) -> Vec<String> {
    let bytes = sql.as_bytes();
    let mut out = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\'' | b'"' => i = skip_quoted(bytes, i),
            b'-' if bytes.get(i + 1) == Some(&b'-') => {
                i = sql[i..].find('\n').map_or(bytes.len(), |n| i + n + 1);
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i = sql[i + 2..]
                    .find("*/")
                    .map_or(bytes.len(), |n| i + 2 + n + 2);
            }
            b'$' => match dollar_tag(&sql[i..]) {
                Some(tag) => {
                    let body = i + tag.len();
                    i = sql[body..]
                        .find(tag)
                        .map_or(bytes.len(), |n| body + n + tag.len());
                }
                None => i += 1,
            },
            b';' => {
                push(&mut out, &sql[start..i]);
                i += 1;
                start = i;
            }
            _ => i += 1,
        }
    }
    push(&mut out, &sql[start..]);
    out
}

/// The end of the quoted text starting at `i` (a doubled quote is one character of it).
fn skip_quoted(bytes: &[u8], i: usize) -> usize {
    let quote = bytes[i];
    let mut j = i + 1;
    while j < bytes.len() {
        if bytes[j] == quote {
            if bytes.get(j + 1) == Some(&quote) {
                j += 2;
                continue;
            }
            return j + 1;
        }
        j += 1;
    }
    bytes.len()
}

/// `$tag$` (or `$$`) at the start of `text`, if a dollar quote opens there.
fn dollar_tag(text: &str) -> Option<&str> {
    let rest = &text[1..];
    let end = rest.find('$')?;
    let tag = &rest[..end];
    let valid = tag
        .chars()
        .enumerate()
        .all(|(n, c)| c == '_' || c.is_ascii_alphabetic() || (n > 0 && c.is_ascii_digit()));
    valid.then(|| &text[..end + 2])
}

/// Adds `statement` unless it is only white space and comments.
fn push(out: &mut Vec<String>, statement: &str) {
    let trimmed = statement.trim();
    let has_code = trimmed.lines().any(|line| {
        let line = line.trim();
        !line.is_empty() && !line.starts_with("--")
    });
    if has_code {
        out.push(trimmed.to_owned());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_end_at_semicolons_outside_strings_bodies_and_comments() {
        let sql = "-- a comment; not a statement\n\
                   CREATE TABLE a (x text DEFAULT 'a;b', \"we;ird\" int);\n\
                   /* another; */ CREATE INDEX i ON a (x);\n\
                   DO $$ BEGIN PERFORM 1; PERFORM 2; END $$;\n\
                   DO $body$ BEGIN RAISE NOTICE 'x;y'; END $body$;\n\
                   SELECT 'it''s; fine';\n\
                   -- trailing comment\n";
        assert_eq!(
            statements(sql),
            [
                "-- a comment; not a statement\nCREATE TABLE a (x text DEFAULT 'a;b', \"we;ird\" int)",
                "/* another; */ CREATE INDEX i ON a (x)",
                "DO $$ BEGIN PERFORM 1; PERFORM 2; END $$",
                "DO $body$ BEGIN RAISE NOTICE 'x;y'; END $body$",
                "SELECT 'it''s; fine'",
            ]
        );
    }

    #[test]
    fn a_parameter_is_no_dollar_quote() {
        assert_eq!(statements("SELECT $1; SELECT 2"), ["SELECT $1", "SELECT 2"]);
    }

    #[test]
    fn every_tenant_migration_splits_into_statements_that_rejoin_to_it() {
        for migration in super::super::migrations::tenant_migrations() {
            let sql = migration.sql().unwrap();
            let parts = statements(sql);
            assert!(!parts.is_empty(), "{}", migration.name());
            // Nothing of the code is lost: every statement is a piece of the text, in order.
            let mut rest = sql;
            for part in &parts {
                let at = rest.find(part.as_str()).expect("a piece of the migration");
                rest = &rest[at + part.len()..];
            }
        }
    }
}
