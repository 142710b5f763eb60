//! Error messages of serde safe to show: field names kept, values dropped.

/// Makes a serde/JSON error message safe to return: keeps field names,
/// drops every quoted value (which could be personal data).
pub fn sanitize_json_error(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut chars = message.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                for inner in chars.by_ref() {
                    if inner == '"' {
                        break;
                    }
                }
                out.push_str("<value>");
            }
            '`' => {
                let mut quoted = String::new();
                for inner in chars.by_ref() {
                    if inner == '`' {
                        break;
                    }
                    quoted.push(inner);
                }
                let looks_like_name = !quoted.is_empty()
                    && quoted.len() <= 40
                    && quoted.chars().all(|q| q.is_ascii_lowercase() || q == '_');
                if looks_like_name {
                    out.push('`');
                    out.push_str(&quoted);
                    out.push('`');
                } else {
                    out.push_str("<value>");
                }
            }
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sanitizer_drops_values_keeps_field_names() {
        let m = sanitize_json_error(
            "invalid type: string \"19900101-1239\", expected u8 at line 1 column 20",
        );
        assert!(!m.contains("1990"), "{m}");
        let m = sanitize_json_error("unknown field `colour`, expected one of `kind`, `body`");
        assert!(m.contains("`colour`") && m.contains("`kind`"), "{m}");
        let m = sanitize_json_error("unknown field `19900101-1239`, expected `name`");
        assert!(!m.contains("1990"), "{m}");
    }
}
